// An ASP.NET Core minimal API over a model.zip from MlNetCnn (train, or the TrainEvaluateSaveLoad sample).
//
//   dotnet run --project samples/WebApi -- --model out/model.zip --urls http://127.0.0.1:5099
//   curl --data-binary @data/valid/9/05032.png http://127.0.0.1:5099/predict
//   → {"label":true,"probability":0.998,"class":"positive"}
//
// POST /predict takes the image file's bytes as the body; GET /health says whether the model is loaded.
// Options: --model PATH (required), --positive-class NAME and --negative-class NAME (the "class" field; default: the
// model's class names, or positive/negative for a model without them), --scoring-threads N. A body that is empty, not an image or truncated gets 400 with a message.
//
// How it serves: one model, loaded once; its CNN scores with ONNX Runtime, whose sessions run concurrently. Requests
// borrow a PredictionEngine from an ObjectPool (engines are not thread-safe, and cost a few milliseconds to make).
// The engines are made with OwnsTransformer = false, so neither the pool nor a request ever disposes the shared
// model; the model is disposed once, when the app stops.
using System.Globalization;
using Microsoft.Extensions.ObjectPool;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using MlNetCnn;
using SkiaSharp;

var builder = WebApplication.CreateBuilder(args);
var modelPath = builder.Configuration["model"] ?? throw new ArgumentException("Give --model PATH (a model.zip from MlNetCnn).");
var threads = builder.Configuration["scoring-threads"] is { } t ? int.Parse(t, CultureInfo.InvariantCulture) : (int?)null;

var ml = new MLContext(seed: 1);
var loaded = ml.Model.Load(modelPath, out var inputSchema);
// The class names: the flags, else the ones the model was trained with, else positive/negative.
var positiveName = builder.Configuration["positive-class"] ?? loaded.FindCnn().PositiveClassName ?? "positive";
var negativeName = builder.Configuration["negative-class"] ?? loaded.FindCnn().NegativeClassName ?? "negative";
var scorer = new UploadScorer(ml, inputSchema, threads is null ? loaded : loaded.WithScoringEngine(loaded.FindCnn().ScoringEngine, threads));
builder.Services.AddSingleton(scorer);

var app = builder.Build();
app.Lifetime.ApplicationStopped.Register(() => scorer.Dispose());

app.MapGet("/health", () => Results.Ok(new { status = "ok", model = Path.GetFileName(modelPath), engine = scorer.Engine.ToString() }));
app.MapPost("/predict", async (HttpRequest request, UploadScorer s) =>
{
    using var body = new MemoryStream();
    await request.Body.CopyToAsync(body);
    var bytes = body.ToArray();
    if (UploadScorer.Check(bytes) is { } problem)
        return Results.BadRequest(new { error = problem });
    var prediction = s.Predict(bytes);
    return Results.Ok(new { label = prediction.PredictedLabel, probability = prediction.Probability, @class = prediction.PredictedLabel ? positiveName : negativeName });
});
app.Run();

/// <summary>The model's image steps after LoadImages, fed the uploaded image; engines come from a pool.</summary>
internal sealed class UploadScorer : IDisposable
{
    private readonly ITransformer model;
    private readonly ObjectPool<PredictionEngine<Upload, Prediction>> engines;

    public UploadScorer(MLContext ml, DataViewSchema inputSchema, ITransformer model)
    {
        this.model = model;
        var chain = Steps(model).ToArray();
        var loader = chain.First() as ImageLoadingTransformer
            ?? throw new ArgumentException("The model does not start with LoadImages; this sample serves models whose first step loads an image file.");
        var imageColumn = loader.GetOutputSchema(inputSchema).First(c => c.Type is ImageDataViewType && inputSchema.GetColumnOrNull(c.Name) is null).Name;
        // The rest of the pipeline reads the decoded image from the column LoadImages made.
        var rest = new TransformerChain<ITransformer>(chain.Skip(1).ToArray());
        var schema = SchemaDefinition.Create(typeof(Upload));
        schema[nameof(Upload.Image)].ColumnName = imageColumn;
        var options = new PredictionEngineOptions { OwnsTransformer = false, InputSchemaDefinition = schema };
        engines = new DefaultObjectPoolProvider().Create(new EnginePolicy(() => ml.Model.CreatePredictionEngine<Upload, Prediction>(rest, options)));
        Engine = model.FindCnn().ActiveScoringEngine;
    }

    public ScoringEngine Engine { get; }

    // A fitted pipeline nests chains (image steps, then the CNN): its steps in order.
    private static IEnumerable<ITransformer> Steps(ITransformer model) =>
        model is IEnumerable<ITransformer> chain ? chain.SelectMany(Steps) : new[] { model };

    /// <summary>Null when <paramref name="bytes"/> decode whole as an image; else what is wrong with them.</summary>
    public static string? Check(byte[] bytes)
    {
        if (bytes.Length == 0)
            return "The body is empty; send the image file's bytes.";
        using var codec = SKCodec.Create(new MemoryStream(bytes), out var result);
        if (codec is null)
            return $"The body ({bytes.Length} bytes) is not an image SkiaSharp decodes ({result}).";
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var bitmap = new SKBitmap(info);
        var decoded = codec.GetPixels(info, bitmap.GetPixels());
        return decoded switch
        {
            SKCodecResult.Success => null,
            SKCodecResult.IncompleteInput => $"The {codec.EncodedFormat} image is truncated: its data ends before the last row of its {info.Width}×{info.Height} pixels.",
            _ => $"The {codec.EncodedFormat} image could not be decoded ({decoded}).",
        };
    }

    public Prediction Predict(byte[] bytes)
    {
        using var image = MLImage.CreateFromStream(new MemoryStream(bytes));
        var engine = engines.Get();
        try
        {
            return engine.Predict(new Upload { Image = image });
        }
        finally
        {
            engines.Return(engine);
        }
    }

    public void Dispose()
    {
        (engines as IDisposable)?.Dispose();
        (model as IDisposable)?.Dispose();
    }

    private sealed class EnginePolicy(Func<PredictionEngine<Upload, Prediction>> create) : IPooledObjectPolicy<PredictionEngine<Upload, Prediction>>
    {
        public PredictionEngine<Upload, Prediction> Create() => create();

        public bool Return(PredictionEngine<Upload, Prediction> obj) => true;
    }
}

internal sealed class Upload
{
    // ML.NET needs an image column type to make a schema; the size it names is not checked against the image, and
    // the model's own ResizeImages step sizes every upload as in training.
    [ImageType(1, 1)]
    public MLImage? Image { get; set; }
}

internal sealed class Prediction
{
    public float Probability { get; set; }
    public bool PredictedLabel { get; set; }
}
