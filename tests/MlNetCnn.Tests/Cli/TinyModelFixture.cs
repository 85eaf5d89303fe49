namespace MlNetCnn.Tests.Cli;

/// <summary>
/// One tiny <c>train</c> run shared by the tests of a class: 12×12 images, a one-block network, two epochs, in a few
/// seconds. Holds the folders and what the run printed.
/// </summary>
public sealed class TinyModelFixture : IDisposable
{
    /// <summary>Images per class in the training folder.</summary>
    public const int TrainPerClass = 16;
    /// <summary>Images per class in the validation folder.</summary>
    public const int ValidPerClass = 6;
    /// <summary>Epochs of the run.</summary>
    public const int Epochs = 2;

    private readonly CliTempFolder temp = new();

    /// <summary>Writes the folders and trains.</summary>
    public TinyModelFixture()
    {
        Train = TinyImageFolder.Write(temp["train"], TrainPerClass, seed: 1);
        Valid = TinyImageFolder.Write(temp["valid"], ValidPerClass, seed: 2);
        Out = temp["out"];
        Run = CliRun.Of(TrainArgs(Train, Valid, Out));
    }

    /// <summary>The options of a fast training run on tiny images.</summary>
    public static string[] TrainArgs(string train, string valid, string output, params string[] more) =>
    [
        "train", "--train", train, "--valid", valid, "--out", output,
        "--image-size", TinyImageFolder.Side.ToString(System.Globalization.CultureInfo.InvariantCulture),
        // 16 channels, a multiple of 16: see SyntheticImages.SmallNetwork.
        "--conv-channels", "16", "--dense-units", "8", "--epochs", Epochs.ToString(System.Globalization.CultureInfo.InvariantCulture),
        // The CLI's 1-pixel shift is an eighth of these images' side: left at 0, the fixture's model stays the one its tests were written on.
        "--batch-size", "8", "--lr", "0.01", "--shift", "0", .. more,
    ];

    /// <summary>The training folder (labels.csv plus pos/ and neg/).</summary>
    public string Train { get; }

    /// <summary>The validation folder.</summary>
    public string Valid { get; }

    /// <summary>The --out folder of the run.</summary>
    public string Out { get; }

    /// <summary>The run's model file.</summary>
    public string Model => Path.Combine(Out, "model.zip");

    /// <summary>What the run printed and returned.</summary>
    public CliRun Run { get; }

    /// <summary>A fresh scratch folder's path inside this fixture's temporary folder.</summary>
    public string Scratch(string name) => temp[name + "-" + Guid.NewGuid().ToString("N")];

    /// <summary>Deletes the folders.</summary>
    public void Dispose() => temp.Dispose();
}
