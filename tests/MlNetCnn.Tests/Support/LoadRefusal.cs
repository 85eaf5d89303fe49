using System.Reflection;

namespace MlNetCnn.Tests.Support;

/// <summary>
/// What <c>MLContext.Model.Load</c> may throw for a damaged model.zip, as README (Guarantees, "Damaged model files")
/// promises it: damage to MlNetCnn's own entries is refused by its loader, which ML.NET calls by reflection and so
/// wraps in <see cref="TargetInvocationException"/>; damage to the zip or to ML.NET's own entries is refused by
/// System.IO.Compression or ML.NET before that loader runs.
/// </summary>
public static class LoadRefusal
{
    /// <summary>Where a refusal came from.</summary>
    public enum Origin
    {
        /// <summary>MlNetCnn's loader (CnnModelFormat.Load), reading its own entries.</summary>
        OurLoader,
        /// <summary>System.IO.Compression or ML.NET, reading the zip or ML.NET's entries.</summary>
        ZipOrMlNet,
    }

    /// <summary>How each message MlNetCnn's loader writes for damage begins.</summary>
    private static readonly string[] OurDamageMessages =
    [
        "The CNN model in this file is damaged: ", "The training history is damaged",
        "This CNN model was saved in a newer", "This CNN model was saved in an older",
    ];

    /// <summary>What System.IO.Compression and ML.NET were seen to throw for damage to the zip or to ML.NET's entries.</summary>
    private static readonly Type[] ZipOrMlNetThrows =
    [
        typeof(InvalidDataException), typeof(FormatException), typeof(InvalidOperationException), typeof(EndOfStreamException), typeof(NotSupportedException),
    ];

    /// <summary>
    /// What .NET throws when ML.NET loads the loader's assembly by the name the file stores and that name is damaged
    /// (FileLoadException, FileNotFoundException, ArgumentException and its CultureNotFoundException).
    /// </summary>
    private static bool IsDamagedAssemblyName(Exception e) =>
        e is FileLoadException or FileNotFoundException or ArgumentException
        && e.StackTrace?.Contains("Microsoft.ML.ModelLoadContext.EnsureLoaderAssemblyIsRegistered", StringComparison.Ordinal) == true;

    /// <summary>Fails unless <paramref name="error"/> is a refusal README promises; returns where it came from and the innermost message.</summary>
    public static (Origin Origin, Type Type, string Message) Check(Exception error)
    {
        var chain = new List<Exception>();
        for (var e = error; e is not null; e = e.InnerException)
            chain.Add(e);
        var invocation = chain.FindIndex(e => e is TargetInvocationException);
        if (invocation >= 0 && chain[invocation].InnerException is { } cause)
        {
            // Loading a pipeline, ML.NET may wrap the invocation once more: "Error during class instantiation".
            Assert.True(chain.Take(invocation).All(e => e.GetType() == typeof(InvalidOperationException)), $"unexpected wrapping of our loader's refusal:\n{error}");
            // Ours says what is damaged; so does System.IO.Compression when the loader's stream read meets broken zip
            // data, and ML.NET when its model-record reading, which the loader calls (the header check, the string
            // table), finds the record damaged: a FormatException.
            var ours = cause is InvalidDataException && OurDamageMessages.Any(m => cause.Message.StartsWith(m, StringComparison.Ordinal));
            var fromZip = cause is InvalidDataException && cause.TargetSite?.DeclaringType?.Namespace == "System.IO.Compression";
            var fromMlNetRecord = cause is FormatException && cause.StackTrace is { } trace
                && (trace.Contains("at Microsoft.ML.ModelHeader.", StringComparison.Ordinal) || trace.Contains("at Microsoft.ML.ModelLoadContext.", StringComparison.Ordinal));
            Assert.True(ours || fromZip || fromMlNetRecord,
                $"our loader's refusal is an InvalidDataException naming the damage or a FormatException from ML.NET's model-record reading:\n{error}");
            return (Origin.OurLoader, cause.GetType(), cause.Message);
        }
        if (IsDamagedAssemblyName(error))
            return (Origin.ZipOrMlNet, error.GetType(), error.Message);
        var innermost = error;
        for (var e = error; e is not null; e = e.InnerException)
        {
            Assert.True(ZipOrMlNetThrows.Contains(e.GetType()) || (e != error && e.GetType() == typeof(IOException)),
                $"loading threw {e.GetType().Name}{(e == error ? "" : " inside " + error.GetType().Name)}, not one of {string.Join(", ", ZipOrMlNetThrows.Select(t => t.Name))}:\n{error}");
            innermost = e;
        }
        Assert.False(string.IsNullOrWhiteSpace(innermost.Message), error.ToString());
        return (Origin.ZipOrMlNet, innermost.GetType(), innermost.Message);
    }

    /// <summary>The exception MlNetCnn's loader threw, from inside ML.NET's TargetInvocationException; fails when it did not throw one.</summary>
    public static InvalidDataException OfOurLoader(Exception error)
    {
        var (origin, _, _) = Check(error);
        Assert.Equal(Origin.OurLoader, origin);
        return Assert.IsType<InvalidDataException>(Assert.IsType<TargetInvocationException>(error).InnerException);
    }
}
