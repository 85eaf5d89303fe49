using System.Security.Cryptography;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using MlNetCnn.Diagnostics;
using MlNetCnn.Network;
using MlNetCnn.NetworkKinds;
using MlNetCnn.Scoring;
using MlNetCnn.Tasks;

namespace MlNetCnn.Persistence;

/// <summary>
/// The versioned form of a <see cref="CnnTransformer"/> inside an ML.NET model zip.
/// </summary>
internal static class CnnModelFormat
{
    /// <summary>Names the loader in the zip; ML.NET finds it through the LoadableClass attribute on CnnTransformer.</summary>
    public const string LoaderSignature = "MlNetCnnTransformer";

    /// <summary>The eight-character model signature.</summary>
    public const string ModelSignature = "MLNETCNN";

    /// <summary>The binary stream that holds the network's weights, in TorchSharp's own format.</summary>
    public const string WeightsStream = TrainedNetwork.WeightsStream;

    /// <summary>The binary stream that holds the training history (format 0x00010002 on).</summary>
    public const string HistoryStream = "CnnHistory";

    /// <summary>The binary stream that holds the scoring engine and its threads (format 0x00010004 on).</summary>
    public const string ScoringStream = "CnnScoring";

    /// <summary>The binary stream that holds the class names, when training named them (format 0x00010006 on).</summary>
    public const string ClassesStream = "CnnClasses";

    /// <summary>The binary stream that holds the rows SkipUnreadableRows left out of the run (format 0x00010007 on).</summary>
    public const string UnreadableStream = "CnnUnreadable";

    /// <summary>The binary stream that says what a custom network is (format 0x00010008 on; absent: the built-in network).</summary>
    public const string NetworkStream = "CnnNetwork";

    /// <summary>The binary stream that holds a trained TorchScript network's archive (format 0x00010008 on), in place of CnnWeights.</summary>
    public const string TorchScriptStream = TorchScriptKind.ArchiveStream;

    /// <summary>The binary stream that says what the network predicts (format 0x0001000A on; absent: binary classification).</summary>
    public const string TaskStream = "CnnTask";

    /// <summary>The binary stream that holds the training precision and the scoring precision asked for (format 0x00010009 on; absent: Float32 and Auto).</summary>
    public const string PrecisionStream = "CnnPrecision";

    // 0x00010001: first format.
    // 0x00010002: adds the best epoch, a SHA-256 of the weights stream, and the training history (stream CnnHistory).
    //             ML.NET checks that a reader consumes the whole body, so 0x00010001 readers cannot read it.
    // 0x00010003: the history stream ends with each epoch's skipped-row count. Readers of 0x00010002 stop before it,
    //             so they can still read this format.
    // 0x00010004: adds stream CnnScoring (engine and threads). The body is unchanged, so readers of 0x00010002 still
    //             read it (and score with their own engine). The weights are read without libtorch from this one on.
    // 0x00010005: the history stream ends with each epoch's training accuracy, after the skipped-row counts, then the
    //             learning-rate search (AutoLearningRate). Readers of 0x00010002 to 0x00010004 stop before these, so
    //             they can still read this format.
    private const uint VersionWithHistory = 0x00010002;
    private const uint VersionWithSkippedRows = 0x00010003;
    // 0x00010006: adds stream CnnClasses (the class names) when training named them. The body is unchanged, so readers
    //             of 0x00010002 still read it (and do not know the names).
    private const uint VersionWithScoring = 0x00010004;
    private const uint VersionWithTrainingAccuracy = 0x00010005;
    private const uint VersionWithClasses = 0x00010006;
    // 0x00010007: adds stream CnnUnreadable, the rows left out, once for the run; the history's skipped-row counts hold
    //             only a count whose rows are not kept (see HistoryFormat). The body is unchanged, so readers of
    //             0x00010002 still read it.
    private const uint VersionWithUnreadableRows = 0x00010007;
    // 0x00010008: custom networks (CnnOptions.CustomNetwork). A built-in network's model is written as before (readers
    //             of 0x00010002 still read it). A custom network's body holds kernel 0, pool 0 and no layers, stream
    //             CnnNetwork says what it is, and a TorchScript network's archive is in stream CnnTorchScript; such a
    //             model is readable from 0x00010008 only.
    private const uint VersionWithCustomNetworks = 0x00010008;
    // 0x00010009: adds stream CnnPrecision (the precision training computed in, and the scoring precision asked for),
    //             a stream of its own because readers of 0x00010004 on check CnnScoring's exact length. The body is
    //             unchanged, so readers of 0x00010002 still read a built-in network's model (and score it in Float32);
    //             a custom network's stays readable from 0x00010008. Readers stop after the two values, so a later
    //             format may append to the stream.
    private const uint VersionWithPrecision = 0x00010009;
    // 0x0001000A: adds stream CnnTask (the task id: 1 binary classification). The body is unchanged and a binary model
    //             is what every earlier reader assumed, so readers of 0x00010002 still read a binary model; a model of
    //             another task will be readable from 0x0001000A only. Readers stop after the id, so a later format may
    //             append the task's own settings to the stream.
    private const uint VersionWithTask = 0x0001000A;
    private const uint VersionWritten = VersionWithTask;
    private const uint VersionReadable = VersionWithHistory;
    private const uint VersionWeCanReadBack = 0x00010001;

    // Bounds for values read back: anything outside them is damage, not a model. Each network kind bounds its own state.
    private const int MaxDimension = 1 << 16;
    private const int MaxLayers = 64;
    private const int MaxBatchSize = 1 << 16;
    private const int HashSize = 32;
    // Stream CnnNetwork is read whole before its kind reads it; no kind needs it larger than a custom network's state.
    private const long MaxNetworkStreamBytes = 1L << 31;

    /// <summary>The format this build writes, as text (0x0001000A).</summary>
    public static string VersionText => $"0x{VersionWritten:X8}";

    private static VersionInfo GetVersionInfo(uint readable = VersionReadable) => new(
        modelSignature: ModelSignature,
        verWrittenCur: VersionWritten,
        verReadableCur: readable,
        verWeCanReadBack: VersionWeCanReadBack,
        loaderAssemblyName: typeof(CnnModelFormat).Assembly.FullName,
        loaderSignature: LoaderSignature);

    // *** Binary format ***
    // string (string table): feature column name
    // int: channels; int: height; int: width
    // int: kernel size; int: pool size (both 0 for a custom network, 0x00010008 on)
    // int: number of convolution blocks, then that many ints: each block's output channels (0 blocks for a custom network)
    // int: number of hidden dense layers, then that many ints: each layer's units
    // float: threshold, in [0, 1]
    // int: batch size for scoring
    // int: best epoch, the epoch whose weights these are (0x00010002 on)
    // 32 bytes: SHA-256 of the CnnWeights stream, or of CnnTorchScript for a TorchScript network (0x00010002 on)
    // stream CnnHistory: training history, see HistoryFormat (0x00010002 on); then the learning-rate search (0x00010005 on)
    // stream CnnWeights: the network's state (TorchSharp Module.save), parameter and buffer names as CnnNetwork declares them
    // stream CnnScoring (0x00010004 on; absent: ONNX Runtime, default threads):
    //   int: scoring engine (0 ONNX Runtime, 1 LibTorch); int: scoring threads (0 for the engine's default)
    // stream CnnClasses (0x00010006 on; absent: the classes have no names):
    //   string (BinaryWriter, UTF-8): positive class name; string: negative class name
    // stream CnnUnreadable (0x00010007 on): the rows left out, see HistoryFormat.WriteUnreadable
    // stream CnnNetwork (0x00010008 on, custom networks only): int kind (its number in NetworkKind.Registered:
    //   1 TorchScript, 2 factory), then what the kind writes (TrainedNetwork.WriteDetails). For a factory (FactoryKind):
    //   string: registered name; string: settings; string: full name of the assembly that registers it
    // stream CnnTorchScript (0x00010008 on, TorchScript networks only, in place of CnnWeights): the trained module's
    //   archive as torch.jit.save writes it
    // stream CnnPrecision (0x00010009 on; absent: Float32, Auto): int: the precision training computed in (0 Float32,
    //   1 BFloat16; Float32 for a custom network); int: the scoring precision asked for (0 Float32, 1 BFloat16, 2 Auto)
    // stream CnnTask (0x0001000A on; absent: binary): int: the task id (1 binary classification, see CnnTask.FromId)

    public static void Save(CnnTransformer transformer, ModelSaveContext ctx)
    {
        ctx.CheckAtModel();
        var network = transformer.Scorer.Network;
        ctx.SetVersionInfo(GetVersionInfo(network.Shape is null ? VersionWithCustomNetworks : VersionReadable));

        ctx.SaveNonEmptyString(transformer.FeatureColumnName);
        var g = transformer.Geometry;
        ctx.Writer.Write(g.Channels);
        ctx.Writer.Write(g.Height);
        ctx.Writer.Write(g.Width);
        var shape = network.Shape;
        ctx.Writer.Write(shape?.KernelSize ?? 0);
        ctx.Writer.Write(shape?.PoolSize ?? 0);
        WriteCounts(ctx.Writer, shape?.ConvolutionChannels ?? []);
        WriteCounts(ctx.Writer, shape?.HiddenUnits ?? []);
        ctx.Writer.Write(transformer.Threshold);
        ctx.Writer.Write(transformer.BatchSize);
        ctx.Writer.Write(transformer.BestEpoch);
        var weights = network.StateBytes;
        ctx.Writer.Write(SHA256.HashData(weights));
        ctx.SaveBinaryStream(HistoryStream, writer =>
        {
            HistoryFormat.Write(writer, transformer.History, transformer.CountWithoutRows);
            HistoryFormat.WriteSearch(writer, transformer.LearningRateSearch);
        });
        ctx.SaveBinaryStream(network.StateStream, writer => writer.Write(weights));
        if (network.Number is { } number)
        {
            ctx.SaveBinaryStream(NetworkStream, writer =>
            {
                writer.Write(number);
                network.WriteDetails(writer);
            });
        }
        ctx.SaveBinaryStream(ScoringStream, writer =>
        {
            writer.Write((int)transformer.ScoringEngine);
            writer.Write(transformer.ScoringThreads ?? 0);
        });
        if (transformer.Classes is { } classes)
        {
            ctx.SaveBinaryStream(ClassesStream, writer =>
            {
                writer.Write(classes.Positive);
                writer.Write(classes.Negative);
            });
        }
        ctx.SaveBinaryStream(UnreadableStream, writer => HistoryFormat.WriteUnreadable(writer, transformer.UnreadableRows));
        ctx.SaveBinaryStream(PrecisionStream, writer =>
        {
            writer.Write((int)transformer.TrainingPrecision);
            writer.Write((int)transformer.ScoringPrecision);
        });
        ctx.SaveBinaryStream(TaskStream, writer => writer.Write(transformer.Task.Id));
    }

    public static CnnTransformer Load(IHostEnvironment env, ModelLoadContext ctx)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(ctx);
        CheckVersion(ctx);
        ctx.CheckAtModel(GetVersionInfo());

        var featureColumn = ctx.LoadNonEmptyString();
        var geometry = new ImageGeometry(ReadCount(ctx, "channels", MaxDimension), ReadCount(ctx, "height", MaxDimension), ReadCount(ctx, "width", MaxDimension));
        var kernel = ctx.Reader.ReadInt32();
        var pool = ctx.Reader.ReadInt32();
        // A custom network (0x00010008 on) writes kernel 0, pool 0 and no layers; its stream CnnNetwork says what it is.
        var custom = kernel == 0 && ctx.Header.ModelVerWritten >= VersionWithCustomNetworks;
        if (!custom && (kernel <= 0 || kernel > MaxDimension))
            throw Damaged($"kernel size {kernel} is not in [1, {MaxDimension}]");
        if (!custom && (pool <= 0 || pool > MaxDimension))
            throw Damaged($"pool size {pool} is not in [1, {MaxDimension}]");
        if (custom && pool != 0)
            throw Damaged($"its custom network has pool size {pool}, not 0");
        var convolution = ReadCounts(ctx, "convolution channels", allowEmpty: custom);
        var hidden = ReadCounts(ctx, "hidden units", allowEmpty: true);
        if (custom && (convolution.Length != 0 || hidden.Length != 0))
            throw Damaged("its custom network also lists built-in layers");
        var threshold = ctx.Reader.ReadSingle();
        if (!(threshold >= 0 && threshold <= 1))
            throw Damaged($"threshold {threshold} is not in [0, 1]");
        var batchSize = ReadCount(ctx, "batch size", MaxBatchSize);
        var bestEpoch = 0;
        byte[]? weightsHash = null;
        IReadOnlyList<EpochRecord> history = Array.Empty<EpochRecord>();
        LearningRateFinderResult? search = null;
        var countWithoutRows = 0;
        if (ctx.Header.ModelVerWritten >= VersionWithHistory)
        {
            bestEpoch = ctx.Reader.ReadInt32();
            if (bestEpoch < 0)
                throw Damaged($"best epoch {bestEpoch} is negative");
            weightsHash = ctx.Reader.ReadBytes(HashSize);
            if (weightsHash.Length != HashSize)
                throw Damaged("it ends inside the weights checksum");
            var written = ctx.Header.ModelVerWritten;
            (history, search, countWithoutRows) = ReadStream(ctx, "history", HistoryStream, "its last record", reader =>
                (HistoryFormat.Read(reader, written >= VersionWithSkippedRows, written >= VersionWithTrainingAccuracy, out var skipped),
                 written >= VersionWithTrainingAccuracy ? HistoryFormat.ReadSearch(reader) : null, skipped));
        }

        var (engine, threads) = ctx.Header.ModelVerWritten >= VersionWithScoring
            ? ReadStream(ctx, "scoring", ScoringStream, "its engine and threads", ReadScoring)
            : (ScoringEngine.OnnxRuntime, (int?)null);
        var (trainedPrecision, scoringPrecision) = (Precision.Float32, Precision.Auto);
        if (ctx.Header.ModelVerWritten >= VersionWithPrecision)
            ctx.TryLoadBinaryStream(PrecisionStream, reader => (trainedPrecision, scoringPrecision) = ReadPrecision(reader, custom));
        var task = CnnTask.Binary;
        if (ctx.Header.ModelVerWritten >= VersionWithTask)
            ctx.TryLoadBinaryStream(TaskStream, reader => task = ReadTask(reader));
        var trained = custom
            ? ReadCustomNetwork(ctx, details => new SavedParts(ctx, geometry, null, batchSize, trainedPrecision, weightsHash, details))
            : BuiltInKind.Read(new SavedParts(ctx, geometry, new NetworkShape(convolution, kernel, pool, hidden), batchSize, trainedPrecision, weightsHash, null));
        CnnScorer scorer;
        try
        {
            // The scorer checks that the built-in network's weights are exactly its declared tensors.
            scorer = new CnnScorer(env.Register(nameof(CnnTransformer)), geometry, trained, engine, threads, scoringPrecision, task);
        }
        catch (InvalidDataException e)
        {
            throw Damaged($"its weights could not be read ({e.Message})", e);
        }
        ClassNames? classes = null;
        if (ctx.Header.ModelVerWritten >= VersionWithClasses)
            ctx.TryLoadBinaryStream(ClassesStream, reader => classes = ReadClasses(reader));
        var unreadable = ctx.Header.ModelVerWritten >= VersionWithUnreadableRows
            ? ReadStream(ctx, "unreadable rows", UnreadableStream, "its last row", HistoryFormat.ReadUnreadable)
            : [];
        return new CnnTransformer(env, scorer, featureColumn, threshold, batchSize, history, bestEpoch, classes, search)
        {
            UnreadableRows = unreadable,
            CountWithoutRows = countWithoutRows,
        };
    }

    /// <summary>A custom network: stream CnnNetwork's number says its kind, which reads the rest.</summary>
    private static TrainedNetwork ReadCustomNetwork(ModelLoadContext ctx, Func<BinaryReader, SavedNetwork> saved)
    {
        const string what = "its kind";
        var stream = ReadStream(ctx, "network", NetworkStream, what, reader => ReadAtMost(reader.BaseStream, MaxNetworkStreamBytes, NetworkStream));
        using var details = new BinaryReader(new MemoryStream(stream));
        try
        {
            var number = details.ReadInt32();
            var kind = NetworkKind.Registered.FirstOrDefault(k => k.Number == number)
                ?? throw Damaged($"its network kind {number} is not one this MlNetCnn knows ({string.Join(", ", NetworkKind.Registered.Select(k => $"{k.Number} {k.Name}"))})");
            return kind.Read(saved(details));
        }
        catch (EndOfStreamException e)
        {
            throw Damaged($"the network stream '{NetworkStream}' ends before {what}", e);
        }
    }

    /// <summary>What a network kind reads of this model.</summary>
    private sealed class SavedParts(ModelLoadContext ctx, ImageGeometry geometry, NetworkShape? shape, int batchSize, Precision trainedPrecision, byte[]? stateHash,
        BinaryReader? details) : SavedNetwork
    {
        public override ImageGeometry Geometry => geometry;

        public override NetworkShape? Shape => shape;

        public override int BatchSize => batchSize;

        public override Precision TrainedPrecision => trainedPrecision;

        public override BinaryReader Details => details ?? new BinaryReader(Stream.Null);

        public override byte[] State(string stream, long limit, string called)
        {
            byte[]? state = null;
            if (!ctx.TryLoadBinaryStream(stream, reader => state = ReadAtMost(reader.BaseStream, limit, stream)) || state is null)
                throw Damaged($"{called} is missing");
            if (stateHash is not null && !SHA256.HashData(state).AsSpan().SequenceEqual(stateHash))
                throw Damaged($"{called} does not match its checksum");
            return state;
        }

        public override InvalidDataException Damaged(string what, Exception? inner = null) => CnnModelFormat.Damaged(what, inner);
    }

    /// <summary>Reads the <paramref name="kind"/> stream <paramref name="name"/> with <paramref name="read"/>; one that is missing or ends before <paramref name="what"/> is damage.</summary>
    private static T ReadStream<T>(ModelLoadContext ctx, string kind, string name, string what, Func<BinaryReader, T> read)
    {
        T value = default!;
        try
        {
            if (!ctx.TryLoadBinaryStream(name, reader => value = read(reader)) || value is null)
                throw Damaged($"the {kind} stream '{name}' is missing");
        }
        catch (EndOfStreamException e)
        {
            throw Damaged($"the {kind} stream '{name}' ends before {what}", e);
        }
        return value;
    }

    private static (ScoringEngine, int?) ReadScoring(BinaryReader reader)
    {
        if (reader.BaseStream.CanSeek && reader.BaseStream.Length - reader.BaseStream.Position != 2 * sizeof(int))
            throw Damaged($"the scoring stream '{ScoringStream}' holds {reader.BaseStream.Length - reader.BaseStream.Position} bytes, not {2 * sizeof(int)}");
        var engine = (ScoringEngine)reader.ReadInt32();
        if (!Enum.IsDefined(engine))
            throw Damaged($"scoring engine {(int)engine} is not one this MlNetCnn knows ({string.Join(", ", Enum.GetValues<ScoringEngine>().Select(e => $"{(int)e} {e}"))})");
        var threads = reader.ReadInt32();
        if (threads < 0 || threads > CnnOptions.MaxScoringThreads)
            throw Damaged($"scoring threads {threads} is not in [0, {CnnOptions.MaxScoringThreads}]");
        return (engine, threads == 0 ? null : threads);
    }

    private static CnnTask ReadTask(BinaryReader reader)
    {
        try
        {
            return CnnTask.FromId(reader.ReadInt32());
        }
        catch (InvalidDataException e)
        {
            throw Damaged($"the task stream '{TaskStream}' is not readable: {e.Message}", e);
        }
        catch (EndOfStreamException e)
        {
            throw Damaged($"the task stream '{TaskStream}' ends before its task id", e);
        }
    }

    private static (Precision Trained, Precision Scoring) ReadPrecision(BinaryReader reader, bool custom)
    {
        try
        {
            var trained = (Precision)reader.ReadInt32();
            if (trained is not (Precision.Float32 or Precision.BFloat16))
                throw Damaged($"the precision stream '{PrecisionStream}' says it trained in precision {(int)trained}, neither {(int)Precision.Float32} Float32 nor {(int)Precision.BFloat16} BFloat16");
            if (custom && trained != Precision.Float32)
                throw Damaged($"the precision stream '{PrecisionStream}' says its custom network trained in {trained}; custom networks train in Float32");
            var scoring = (Precision)reader.ReadInt32();
            if (!Enum.IsDefined(scoring) || (custom && scoring == Precision.BFloat16))
                throw Damaged($"the precision stream '{PrecisionStream}' asks for scoring precision {(int)scoring}, not one this model can score in " +
                    $"({string.Join(", ", Enum.GetValues<Precision>().Where(p => !custom || p != Precision.BFloat16).Select(p => $"{(int)p} {p}"))})");
            return (trained, scoring);
        }
        catch (EndOfStreamException e)
        {
            throw Damaged($"the precision stream '{PrecisionStream}' ends before its scoring precision", e);
        }
    }

    private static ClassNames ReadClasses(BinaryReader reader)
    {
        try
        {
            var positive = reader.ReadString();
            var negative = reader.ReadString();
            if (string.IsNullOrWhiteSpace(positive) || string.IsNullOrWhiteSpace(negative) || positive == negative || reader.BaseStream.Position != reader.BaseStream.Length)
                throw Damaged($"the class names stream '{ClassesStream}' does not hold two different names");
            return new ClassNames(positive, negative);
        }
        catch (EndOfStreamException e)
        {
            throw Damaged($"the class names stream '{ClassesStream}' ends before its second name", e);
        }
    }

    /// <summary>Says in our own words when the model is of a format this build cannot read (ML.NET names its own version instead).</summary>
    private static void CheckVersion(ModelLoadContext ctx)
    {
        var header = ctx.Header;
        if (header.ModelSignature != GetVersionInfo().ModelSignature)
            return; // Not ours at all: ML.NET's own check says so.
        if (header.ModelVerReadable > VersionWritten)
            throw new InvalidDataException(
                $"This CNN model was saved in a newer MlNetCnn model format (0x{header.ModelVerWritten:X8}, readable from 0x{header.ModelVerReadable:X8}); " +
                $"this MlNetCnn ({typeof(CnnModelFormat).Assembly.GetName().Version}) reads formats up to 0x{VersionWritten:X8}. Upgrade MlNetCnn to load it.");
        if (header.ModelVerWritten < VersionWeCanReadBack)
            throw new InvalidDataException(
                $"This CNN model was saved in an older MlNetCnn model format (0x{header.ModelVerWritten:X8}) that this MlNetCnn no longer reads " +
                $"(oldest readable: 0x{VersionWeCanReadBack:X8}). Retrain the model, or load it with the MlNetCnn release that saved it.");
    }

    private static byte[] ReadAtMost(Stream stream, long limit, string name)
    {
        using var copy = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            if (copy.Length + read > limit)
                throw Damaged($"the stream '{name}' is longer than its network can need ({limit:N0} bytes)");
            copy.Write(buffer, 0, read);
        }
        return copy.ToArray();
    }

    private static void WriteCounts(BinaryWriter writer, IReadOnlyList<int> counts)
    {
        writer.Write(counts.Count);
        foreach (var count in counts)
            writer.Write(count);
    }

    private static int ReadCount(ModelLoadContext ctx, string what, int max)
    {
        var value = ctx.Reader.ReadInt32();
        if (value <= 0 || value > max)
            throw Damaged($"{what} {value} is not in [1, {max}]");
        return value;
    }

    private static int[] ReadCounts(ModelLoadContext ctx, string what, bool allowEmpty)
    {
        var length = ctx.Reader.ReadInt32();
        if (length < (allowEmpty ? 0 : 1) || length > MaxLayers)
            throw Damaged($"the number of {what} ({length}) is not in [{(allowEmpty ? 0 : 1)}, {MaxLayers}]");
        var counts = new int[length];
        for (var i = 0; i < length; i++)
            counts[i] = ReadCount(ctx, what, MaxDimension);
        return counts;
    }

    private static InvalidDataException Damaged(string what, Exception? inner = null) =>
        new($"The CNN model in this file is damaged: {what}.", inner);
}
