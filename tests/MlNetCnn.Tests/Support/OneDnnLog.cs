namespace MlNetCnn.Tests.Support;

/// <summary>
/// What oneDNN says it ran, from its verbose log (<c>ONEDNN_VERBOSE=1</c>, oneDNN 3.x's format:
/// <c>onednn_verbose,v1,primitive,exec,cpu,KIND,IMPLEMENTATION,PROPAGATION,MEMORY,ATTRIBUTES,ALGORITHM,SHAPE,MS</c>):
/// the evidence of which kernels a process ran that does not come from the code under test.
/// </summary>
public sealed class OneDnnLog
{
    private const string Prefix = "onednn_verbose,";

    /// <summary>Reads the verbose lines among <paramref name="lines"/> (a process's standard output).</summary>
    public OneDnnLog(IEnumerable<string> lines)
    {
        var verbose = lines.Where(IsVerbose).ToArray();
        Executions = verbose.Select(l => l.Split(',')).Where(f => f.Length > 9 && f[2] == "primitive" && f[3] == "exec")
            .Select(f => new Execution(f[5], f[6], f[7], f[8], f[^2])).ToArray();
        Isa = verbose.Select(l => l.Split(',')).Where(f => f.Length > 4 && f[2] == "info" && f[3] == "cpu" && f[4].StartsWith("isa:", StringComparison.Ordinal))
            .Select(f => f[4]["isa:".Length..]).FirstOrDefault();
    }

    /// <summary>Whether <paramref name="line"/> is one of oneDNN's verbose lines.</summary>
    public static bool IsVerbose(string line) => line.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>One primitive run.</summary>
    /// <param name="Kind">convolution, matmul, inner_product, reorder, …</param>
    /// <param name="Implementation">The kernel and its instruction set, such as <c>jit_bf16:avx512_core_bf16</c>.</param>
    /// <param name="Propagation">forward_training, forward_inference, backward_data, backward_weights, …</param>
    /// <param name="Memory">The memory descriptors, such as <c>src:bf16:a:blocked:abcd::f0 wei:bf16:…</c>.</param>
    /// <param name="Shape">The problem, such as <c>mb20_ic1oc16_ih36oh32kh5…</c> (a convolution of 20 images) or <c>20x16:16x16</c> (a matrix product).</param>
    public sealed record Execution(string Kind, string Implementation, string Propagation, string Memory, string Shape)
    {
        /// <summary>Whether its source and weights are of <paramref name="type"/> (oneDNN's name: bf16, f32).</summary>
        public bool Takes(string type) => Memory.Contains($"src:{type}:", StringComparison.Ordinal) && Memory.Contains($"wei:{type}:", StringComparison.Ordinal);

        /// <summary>
        /// Whether its kernel is one of oneDNN's for CPUs with bfloat16 instructions (AVX512_BF16, AMX, AVX10): its
        /// instruction set, after the colon, names them; reference and emulated kernels do not.
        /// </summary>
        public bool OnBFloat16Instructions
        {
            get
            {
                var isa = Implementation[(Implementation.IndexOf(':') + 1)..];
                return !Implementation.StartsWith("ref", StringComparison.Ordinal) && (isa.Contains("bf16", StringComparison.Ordinal)
                    || isa.Contains("amx", StringComparison.Ordinal) || isa.StartsWith("avx10", StringComparison.Ordinal));
            }
        }

        /// <inheritdoc />
        public override string ToString() => $"{Kind},{Implementation},{Propagation},{Memory},{Shape}";
    }

    /// <summary>Every primitive the process ran, in order.</summary>
    public IReadOnlyList<Execution> Executions { get; }

    /// <summary>The highest instruction set oneDNN said it may use (<c>info,cpu,isa:…</c>); null when it logged none.</summary>
    public string? Isa { get; }

    /// <summary>Convolutions, matrix products and dense layers that took bfloat16 and ran on oneDNN's bfloat16 kernels.</summary>
    public IReadOnlyList<Execution> BFloat16Compute =>
        Executions.Where(e => e.Kind is "convolution" or "matmul" or "inner_product" && e.Takes("bf16") && e.OnBFloat16Instructions).ToArray();

    /// <summary>A few lines of what ran, for a failure message.</summary>
    public string Summary() =>
        $"oneDNN isa: {Isa ?? "(none logged)"}; {Executions.Count} primitives run: " +
        string.Join("; ", Executions.Select(e => $"{e.Kind} {e.Implementation} {e.Propagation}").Distinct().Take(12));
}
