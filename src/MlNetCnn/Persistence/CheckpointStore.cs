using MlNetCnn.Training;
using MlNetCnn.Diagnostics;
using MlNetCnn.Network;
using MlNetCnn.Persistence;
using TorchSharp;

namespace MlNetCnn.Persistence;

/// <summary>
/// Saves the training state after each epoch into <c>FOLDER/epoch-NNNN/</c>, and finds the newest complete one.
/// A folder is written under a temporary name and renamed when whole, so a run killed mid-write leaves the
/// previous checkpoint intact. The two newest are kept.
/// </summary>
internal sealed class CheckpointStore
{
    private const string Prefix = "epoch-";
    private const string StateFile = "state.bin";
    private const string WeightsFile = "weights.bin";
    private const string OptimizerFile = "optimizer.bin";
    private const string BestWeightsFile = "best-weights.bin";
    private const int Kept = 2;
    // 2: the optimiser's own state format (AdamOptimizer) and networks without batch counters.
    // 3: the history carries each epoch's skipped-row count; 2 is still read.
    // 4: the history carries each epoch's training accuracy; 2 and 3 are still read (training accuracy NaN).
    // 5: the run's unreadable rows follow the history, once (its per-epoch counts are 0); 2 to 4 are still read.
    // 6: then the precision trained in (int: Precision.Float32 or BFloat16); 2–5 are read as Float32 (there was no other).
    private const int FormatVersion = 6;
    private const int OldestReadable = 2;

    private readonly string folder;
    private readonly Precision precision;

    /// <summary>A store in <paramref name="folder"/> for a run that trains in <paramref name="precision"/> (Float32 or BFloat16, resolved).</summary>
    public CheckpointStore(string folder, Precision precision)
    {
        this.folder = folder;
        this.precision = precision;
    }

    /// <summary>What a checkpoint holds besides tensors.</summary>
    public sealed record LoopState(
        int EpochsDone,
        int Seed,
        string Fingerprint,
        IReadOnlyList<EpochRecord> History,
        double PlateauRate,
        MetricTracker.State Plateau,
        MetricTracker.State EarlyStopping,
        IReadOnlyList<UnreadableRow> UnreadableRows);

    /// <summary>Writes the state after an epoch.</summary>
    public void Save(LoopState state, torch.nn.Module network, AdamOptimizer optimizer, byte[]? bestWeights)
    {
        Directory.CreateDirectory(folder);
        var name = $"{Prefix}{state.EpochsDone:D4}";
        var temp = Path.Combine(folder, $"{name}.{Environment.ProcessId}.tmp");
        if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        Directory.CreateDirectory(temp);

        network.save(Path.Combine(temp, WeightsFile));
        using (var writer = new BinaryWriter(File.Create(Path.Combine(temp, OptimizerFile))))
            optimizer.Save(writer);
        if (bestWeights is not null)
            File.WriteAllBytes(Path.Combine(temp, BestWeightsFile), bestWeights);
        using (var writer = new BinaryWriter(File.Create(Path.Combine(temp, StateFile))))
        {
            writer.Write(FormatVersion);
            writer.Write(state.EpochsDone);
            writer.Write(state.Seed);
            writer.Write(state.Fingerprint);
            writer.Write(state.PlateauRate);
            WriteTracker(writer, state.Plateau);
            WriteTracker(writer, state.EarlyStopping);
            HistoryFormat.Write(writer, state.History);
            HistoryFormat.WriteUnreadable(writer, state.UnreadableRows);
            writer.Write((int)precision);
        }

        var target = Path.Combine(folder, name);
        if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
        Directory.Move(temp, target);
        foreach (var old in Complete().Skip(Kept))
            Directory.Delete(old, recursive: true);
    }

    /// <summary>The newest complete checkpoint folder, or null.</summary>
    public string? Newest() => Complete().FirstOrDefault();

    /// <summary>Reads the newest checkpoint into <paramref name="network"/> and <paramref name="optimizer"/>; null when there is none.</summary>
    public (LoopState State, byte[]? BestWeights)? Restore(torch.nn.Module network, AdamOptimizer optimizer, string fingerprint)
    {
        var newest = Newest();
        if (newest is null)
            return null;
        LoopState state;
        try
        {
            using var reader = new BinaryReader(File.OpenRead(Path.Combine(newest, StateFile)));
            var version = reader.ReadInt32();
            if (version < OldestReadable || version > FormatVersion)
                throw new InvalidDataException($"checkpoint format {version} is not one of {OldestReadable}–{FormatVersion}");
            var epochs = reader.ReadInt32();
            var seed = reader.ReadInt32();
            var storedFingerprint = reader.ReadString();
            if (storedFingerprint != fingerprint)
                throw new InvalidOperationException(
                    $"The checkpoint in {newest} was made for another run ({storedFingerprint}); this run is {fingerprint}. Use another CheckpointFolder, or delete it.");
            var rate = reader.ReadDouble();
            var plateau = ReadTracker(reader);
            var early = ReadTracker(reader);
            var history = HistoryFormat.Read(reader, withSkippedRows: version >= 3, withTrainingAccuracy: version >= 4, out _);
            // Before format 5 only a count was kept; the fingerprint has made sure this run left out the same rows.
            var unreadable = version >= 5 ? HistoryFormat.ReadUnreadable(reader) : [];
            state = new LoopState(epochs, seed, storedFingerprint, history, rate, plateau, early, unreadable);
            var storedPrecision = version >= 6 ? (Precision)reader.ReadInt32() : Precision.Float32;
            if (storedPrecision is not (Precision.Float32 or Precision.BFloat16))
                throw new InvalidDataException($"its precision {(int)storedPrecision} is neither Float32 nor BFloat16");
            if (storedPrecision != precision)
                throw new InvalidOperationException(
                    $"The checkpoint in {newest} was trained in {storedPrecision}; this run trains in {precision}, and a resumed run must go on as it began " +
                    $"to end where an unbroken one does. Set Precision = {storedPrecision} to resume it, or use another CheckpointFolder (or delete it) to start afresh.");
            network.load(Path.Combine(newest, WeightsFile));
            using (var optimizerReader = new BinaryReader(File.OpenRead(Path.Combine(newest, OptimizerFile))))
                optimizer.Load(optimizerReader);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or System.Runtime.InteropServices.ExternalException or EndOfStreamException)
        {
            throw new InvalidDataException($"The checkpoint in {newest} cannot be read ({e.Message}). Delete that folder to resume from the one before it.", e);
        }
        var bestPath = Path.Combine(newest, BestWeightsFile);
        return (state, File.Exists(bestPath) ? File.ReadAllBytes(bestPath) : null);
    }

    private IEnumerable<string> Complete() =>
        Directory.Exists(folder)
            ? Directory.GetDirectories(folder, Prefix + "*")
                .Where(d => !d.EndsWith(".tmp", StringComparison.Ordinal) && File.Exists(Path.Combine(d, StateFile)))
                .OrderByDescending(d => d, StringComparer.Ordinal)
            : Enumerable.Empty<string>();

    private static void WriteTracker(BinaryWriter writer, MetricTracker.State state)
    {
        writer.Write(state.Best.HasValue);
        writer.Write(state.Best ?? 0);
        writer.Write(state.BestEpoch);
        writer.Write(state.EpochsWithoutImprovement);
    }

    private static MetricTracker.State ReadTracker(BinaryReader reader)
    {
        var has = reader.ReadBoolean();
        var best = reader.ReadDouble();
        return new MetricTracker.State(has ? best : null, reader.ReadInt32(), reader.ReadInt32());
    }
}
