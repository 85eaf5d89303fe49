namespace MlNetCnn.Network.Import;

/// <summary>The padding and output size of a window at one input size: pads in ONNX's order (begin, then end).</summary>
internal readonly record struct ResolvedWindow(long Top, long Left, long Bottom, long Right, long Height, long Width)
{
    /// <summary>Whether each side's padding equals the opposite side's, so that libtorch can pad by itself.</summary>
    public bool Symmetric => Top == Bottom && Left == Right;

    /// <summary>Whether there is any padding.</summary>
    public bool Padded => Top != 0 || Left != 0 || Bottom != 0 || Right != 0;

    /// <summary>The padding in libtorch's order for <c>pad</c>: left, right, top, bottom.</summary>
    public long[] TorchPad => new[] { Left, Right, Top, Bottom };

    /// <summary>The padding in ONNX's order: top, left, bottom, right.</summary>
    public long[] OnnxPads => new[] { Top, Left, Bottom, Right };
}

/// <summary>
/// The 2-D window of a Conv, MaxPool or AveragePool node: kernel, strides, dilations, and padding as the node states
/// it (explicit pads, possibly asymmetric, or auto_pad), with ceil_mode for max pooling.
/// </summary>
/// <remarks>
/// Explicit asymmetric pads are how CNTK and TensorFlow exports write "same" padding resolved for one input size
/// (ResNet18.onnx: 7×7 stride 2 with pads [3, 3, 2, 2] on 224×224). Kept fixed, they give maps that no longer
/// line up at other sizes (at 112×112 a residual sum would add 3×3 to 4×4); <see cref="KeptSame"/> turns them back
/// into the auto_pad they came from, which gives the same pads at the nominal size and the right ones at every other.
/// </remarks>
internal sealed record Window2d(long KernelHeight, long KernelWidth, long StrideHeight, long StrideWidth,
    long DilationHeight, long DilationWidth, long[] Pads, string AutoPad, bool CeilMode)
{
    /// <summary>Whether the explicit pads were found to be "same" padding at the nominal size, and are kept "same" (<see cref="AutoPad"/>).</summary>
    public bool SameFromPads { get; private init; }

    /// <summary>
    /// This window with auto_pad SAME_LOWER or SAME_UPPER when its explicit pads are asymmetric and are exactly what
    /// that auto_pad gives for a <paramref name="height"/> × <paramref name="width"/> input; otherwise this window.
    /// </summary>
    public Window2d KeptSame(long height, long width)
    {
        if (AutoPad != "NOTSET" || CeilMode || (Pads[0] == Pads[2] && Pads[1] == Pads[3]))
            return this;
        foreach (var mode in new[] { "SAME_LOWER", "SAME_UPPER" })
        {
            var same = this with { AutoPad = mode, SameFromPads = true };
            if (same.Resolve(height, width, "").OnnxPads.SequenceEqual(Pads))
                return same;
        }
        return this;
    }

    /// <summary>Reads the window's attributes of <paramref name="node"/>; <paramref name="kernel"/> is its kernel when the node does not say it.</summary>
    public static Window2d Read(OnnxNode node, long[]? kernel)
    {
        kernel = node.Ints("kernel_shape") ?? kernel;
        if (kernel is not { Length: 2 })
            throw new InvalidDataException($"{node.Description} has kernel_shape {Text(kernel)}; only 2-D windows over [N, C, H, W] are supported.");
        var strides = Pair(node, "strides", 1);
        var dilations = Pair(node, "dilations", 1);
        var pads = node.Ints("pads") ?? new long[4];
        if (pads.Length != 4 || pads.Any(p => p < 0))
            throw new InvalidDataException($"{node.Description} has pads {Text(pads)}; 2-D windows take four pads of 0 or more (top, left, bottom, right).");
        var autoPad = node.String("auto_pad", "NOTSET");
        if (autoPad is not ("NOTSET" or "VALID" or "SAME_UPPER" or "SAME_LOWER"))
            throw new InvalidDataException($"{node.Description} has auto_pad '{autoPad}'; ONNX defines NOTSET, VALID, SAME_UPPER and SAME_LOWER.");
        if (kernel.Concat(strides).Concat(dilations).Any(v => v < 1))
            throw new InvalidDataException($"{node.Description} has kernel {Text(kernel)}, strides {Text(strides)} and dilations {Text(dilations)}; each must be 1 or more.");
        return new Window2d(kernel[0], kernel[1], strides[0], strides[1], dilations[0], dilations[1], pads, autoPad, node.Int("ceil_mode", 0) != 0);
    }

    /// <summary>The padding and output size for an input of <paramref name="height"/> × <paramref name="width"/>.</summary>
    /// <exception cref="ArgumentException">The window does not fit the input.</exception>
    public ResolvedWindow Resolve(long height, long width, string node)
    {
        var (top, bottom, outHeight) = Side(height, KernelHeight, StrideHeight, DilationHeight, Pads[0], Pads[2]);
        var (left, right, outWidth) = Side(width, KernelWidth, StrideWidth, DilationWidth, Pads[1], Pads[3]);
        if (outHeight < 1 || outWidth < 1)
            throw new ArgumentException($"{node}: a {Describe()} window does not fit a {height}×{width} input; use larger images.");
        return new ResolvedWindow(top, left, bottom, right, outHeight, outWidth);
    }

    /// <summary>"3×3, stride 2, pads [1, 1, 0, 0]": the settings that differ from the defaults.</summary>
    public string Describe()
    {
        var parts = new List<string> { $"{KernelHeight}×{KernelWidth}" };
        if (StrideHeight != 1 || StrideWidth != 1)
            parts.Add(StrideHeight == StrideWidth ? $"stride {StrideHeight}" : $"stride {StrideHeight}×{StrideWidth}");
        if (DilationHeight != 1 || DilationWidth != 1)
            parts.Add($"dilation {DilationHeight}×{DilationWidth}");
        if (SameFromPads)
            parts.Add($"pads {Text(Pads)} kept {AutoPad}");
        else if (AutoPad != "NOTSET")
            parts.Add(AutoPad);
        else if (Pads.Any(p => p != 0))
            parts.Add(Pads.Distinct().Count() == 1 ? $"pad {Pads[0]}" : $"pads {Text(Pads)}");
        if (CeilMode)
            parts.Add("ceil");
        return string.Join(", ", parts);
    }

    private (long Begin, long End, long Output) Side(long input, long kernel, long stride, long dilation, long begin, long end)
    {
        var span = (kernel - 1) * dilation + 1;
        switch (AutoPad)
        {
            case "VALID":
                return (0, 0, Floor(input - span, stride) + 1);
            case "SAME_UPPER":
            case "SAME_LOWER":
                var output = (input + stride - 1) / stride;
                var total = Math.Max(0, (output - 1) * stride + span - input);
                // SAME_UPPER puts the odd pixel at the end, SAME_LOWER at the beginning.
                var small = total / 2;
                return AutoPad == "SAME_UPPER" ? (small, total - small, output) : (total - small, small, output);
        }
        var padded = input + begin + end;
        if (!CeilMode)
            return (begin, end, Floor(padded - span, stride) + 1);
        // ceil_mode: one more window where the last one would start inside the input or its begin padding; the
        // end padding grows to hold it, so that pooling with floor over the padded input gives the same size.
        var ceil = Ceil(padded - span, stride) + 1;
        if ((ceil - 1) * stride >= input + begin)
            ceil--;
        var extra = Math.Max(0, (ceil - 1) * stride + span - padded);
        return (begin, end + extra, ceil);
    }

    private static long Floor(long a, long b) => a < 0 ? -1 : a / b;

    private static long Ceil(long a, long b) => a < 0 ? -1 : (a + b - 1) / b;

    private static long[] Pair(OnnxNode node, string name, long fallback)
    {
        var values = node.Ints(name) ?? new[] { fallback, fallback };
        if (values.Length != 2)
            throw new InvalidDataException($"{node.Description} has {name} {Text(values)}; a 2-D window takes two.");
        return values;
    }

    private static string Text(long[]? values) => values is null ? "(none)" : $"[{string.Join(", ", values)}]";
}
