namespace MlNetCnn;

/// <summary>Which runtime runs a trained network forward when a <see cref="CnnTransformer"/> scores.</summary>
public enum ScoringEngine
{
    /// <summary>
    /// ONNX Runtime, on a graph built in memory from the weights (the default: about 3× faster than libtorch on CPU,
    /// and a process that only scores never loads libtorch). It scores in float32 whatever the model trained in: ONNX
    /// Runtime's CPU execution provider registers Conv for float only and Gemm for float and double (no bfloat16).
    /// </summary>
    OnnxRuntime,

    /// <summary>
    /// TorchSharp's libtorch, the runtime the network was trained with. It scores a built-in network in bfloat16 (mixed,
    /// as training ran) where the model trained in BFloat16 and this machine's bfloat16 is native and right
    /// (<see cref="CnnTransformer.ActiveScoringPrecision"/>).
    /// </summary>
    LibTorch,
}
