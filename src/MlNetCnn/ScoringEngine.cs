namespace MlNetCnn;

/// <summary>Which runtime runs a trained network forward when a <see cref="CnnTransformer"/> scores.</summary>
public enum ScoringEngine
{
    /// <summary>
    /// ONNX Runtime, on a graph built in memory from the weights (the default: about 3× faster than libtorch on CPU,
    /// and a process that only scores never loads libtorch).
    /// </summary>
    OnnxRuntime,

    /// <summary>TorchSharp's libtorch, the runtime the network was trained with.</summary>
    LibTorch,
}
