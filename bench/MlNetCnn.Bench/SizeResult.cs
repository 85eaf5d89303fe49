namespace MlNetCnn.Bench;

/// <summary>Images per second of every row at one image side, and the pipeline's time split.</summary>
internal sealed record SizeResult(SizeSettings Size)
{
    public double PlainTrain { get; set; }
    public double PipelineFit { get; set; }
    public double PipelineFitDefaults { get; set; }
    public double MemoryFit { get; set; }
    public double? PyTorchTrain { get; set; }
    public double ImageStages { get; set; }
    public double PlainForward { get; set; }
    public double TransformMemory { get; set; }
    public double TransformPng { get; set; }
    public double? PyTorchScore { get; set; }
    public double? PyTorchTrainAsStarted { get; set; }
    public double? PyTorchScoreAsStarted { get; set; }
    public double TransformMemoryDefaults { get; set; }
    public double TransformPngDefaults { get; set; }
    public FitTiming PipelineSplit { get; set; } = new(0, 0);
    public FitTiming MemorySplit { get; set; } = new(0, 0);
    public double PlainTrainSeconds { get; set; }
    public double CheckSeconds { get; set; }
    public StepPhases PlainPhases { get; set; } = new(0, 0, 0, 0);
}
