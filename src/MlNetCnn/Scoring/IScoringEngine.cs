namespace MlNetCnn.Scoring;

/// <summary>Runs a trained network forward: rows of C×H×W values in, the task's outputs per row out (binary: one logit).</summary>
internal interface IScoringEngine : IDisposable
{
    /// <summary>Which runtime this is.</summary>
    ScoringEngine Kind { get; }

    /// <summary>The intra-op threads it scores with (with LibTorch, the process's count when it started).</summary>
    int Threads { get; }

    /// <summary>
    /// Writes each image's outputs (the task's <see cref="Tasks.CnnTask.OutputsPerImage"/> logits, one after another)
    /// of <paramref name="features"/> into <paramref name="outputs"/>; safe to call from several threads.
    /// </summary>
    void Score(ReadOnlySpan<float> features, Span<float> outputs);
}
