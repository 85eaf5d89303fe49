namespace MlNetCnn.Scoring;

/// <summary>Runs a trained network forward: rows of C×H×W values in, one logit per row out.</summary>
internal interface IScoringEngine : IDisposable
{
    /// <summary>Which runtime this is.</summary>
    ScoringEngine Kind { get; }

    /// <summary>The intra-op threads it scores with (with LibTorch, the process's count when it started).</summary>
    int Threads { get; }

    /// <summary>Writes one logit per image of <paramref name="features"/> into <paramref name="logits"/>; safe to call from several threads.</summary>
    void Score(ReadOnlySpan<float> features, Span<float> logits);
}
