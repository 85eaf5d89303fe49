using System.ComponentModel;
using MlNetCnn.Cli.Settings;

namespace MlNetCnn.Cli.Commands;

/// <summary>
/// The settings of <c>train</c> that are the command's own: its folders, and the command line's form of three library
/// settings (a square image size, a network by name, a cache chosen by size). Flags, config keys and help come from
/// these properties as from the library's (<see cref="SettingCatalog"/>).
/// </summary>
internal sealed class TrainCommandSettings
{
    /// <summary>
    /// Training folder: labels.csv or two class subfolders (read recursively). Not given: the shipped
    /// <see cref="TrainTable.DefaultTrainFolder"/> with <see cref="TrainTable.DefaultValidFolder"/>.
    /// </summary>
    [Category("data")]
    public string? Train { get; set; }

    /// <summary>
    /// Validation folder, measured after every epoch and at the end. Not given with --train: a held-out share of
    /// --train (--valid-fraction).
    /// </summary>
    [Category("data")]
    public string? Valid { get; set; }

    /// <summary>For class subfolders: the name of the positive one (ignored with labels.csv). The model keeps both class names.</summary>
    [Category("data")]
    public string? Positive { get; set; }

    /// <summary>Folder the command writes its files into (created when missing).</summary>
    [Category("data")]
    public string Out { get; set; } = TrainTable.DefaultOutFolder;

    /// <summary>Images are brought to this many pixels a side.</summary>
    [Category("images")]
    [Replaces(nameof(CnnImageOptions.Width), nameof(CnnImageOptions.Height))]
    public int ImageSize { get; set; } = CnnImageOptions.DefaultImageSize;

    /// <summary>
    /// <see cref="TrainSettings.BuiltInNetworkName"/> (the question's CNN, sized by --conv-channels, --kernel-size,
    /// --pool-size and --dense-units), <see cref="TrainSettings.ResidualNetworkName"/> or
    /// <see cref="TrainSettings.ResidualNetworkName"/>:16,32,64 (a residual network with global average pooling; its
    /// stage channels), or <see cref="TrainSettings.TorchScriptPrefix"/>FILE.pt (a module scripted in PyTorch:
    /// [N, C, H, W] to [N] or [N, 1] logits; it travels in model.zip). Not given: the built-in network.
    /// </summary>
    [Category("network")]
    [Replaces(nameof(CnnOptions.CustomNetwork))]
    public string? CustomNetwork { get; set; }

    /// <summary>
    /// A pretrained network to start from: <see cref="TrainSettings.ResNet18Name"/> (ML.NET's ResNet18, from the
    /// NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18, found offline), <see cref="TrainSettings.ResNet18Name"/>:PATH
    /// (its ResNet18.onnx, or a folder holding it) or <see cref="TrainSettings.OnnxPrefix"/>FILE.onnx (any ONNX image
    /// network MlNetCnn imports; images fed in [0, 1]). With a backbone the image defaults are the photo ones: 224
    /// pixels, a centre crop, colour, no mirror, 3 epochs. Not given: the network trains from scratch.
    /// </summary>
    [Category("network")]
    [Replaces(nameof(CnnOptions.Backbone))]
    public string? Backbone { get; set; }

    /// <summary>
    /// How the backbone trains after --frozen-epochs: frozen (never: the head alone, on features computed once),
    /// last:N (its last N stages) or all. Default all.
    /// </summary>
    [Category("network")]
    [Replaces(nameof(CnnOptions.FineTuning), nameof(CnnOptions.UnfrozenStages))]
    public string? FineTune { get; set; }

    /// <summary>
    /// Keep every decoded training and validation image in memory (true) or decode them each epoch in a background
    /// stream (false). Not given: in memory when they fit in 1 GiB. The model is the same either way.
    /// </summary>
    [Category("run")]
    [Replaces(nameof(CnnOptions.CacheImages))]
    public bool? CacheImages { get; set; }
}
