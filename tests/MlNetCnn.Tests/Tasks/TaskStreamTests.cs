using System.IO.Compression;
using Microsoft.ML;
using MlNetCnn.Persistence;
using MlNetCnn.Tasks;
using MlNetCnn.Tests.Support;

namespace MlNetCnn.Tests.Tasks;

/// <summary>The task is a type, and a model zip says which: binary models saved before the stream load as binary.</summary>
public sealed class TaskStreamTests : IClassFixture<TrainedModel>
{
    private readonly TrainedModel m;

    public TaskStreamTests(TrainedModel m) => this.m = m;

    private string Save(TempFolder folder)
    {
        var path = folder.File("model.zip");
        m.Ml.Model.Save(m.Transformer, m.Test.Schema, path);
        return path;
    }

    private static void Rewrite(string path, byte[] stream)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Update);
        var entry = zip.Entries.Single(e => e.FullName.EndsWith(CnnModelFormat.TaskStream, StringComparison.Ordinal));
        var name = entry.FullName;
        entry.Delete();
        using var rewritten = zip.CreateEntry(name).Open();
        rewritten.Write(stream);
    }

    [Fact]
    public void A_saved_model_names_its_task_and_loads_back_as_that_task()
    {
        using var folder = new TempFolder();
        var path = Save(folder);
        using var archive = ZipFile.OpenRead(path);
        var entry = archive.Entries.Single(e => e.FullName.EndsWith(CnnModelFormat.TaskStream, StringComparison.Ordinal));
        using var bytes = new MemoryStream();
        entry.Open().CopyTo(bytes);
        Assert.Equal(BitConverter.GetBytes(BinaryTask.TaskId), bytes.ToArray());

        using var loaded = Assert.IsType<CnnTransformer>(new MLContext().Model.Load(path, out _));
        Assert.Same(CnnTask.Binary, loaded.Task);
        Assert.Equal(Scores.Column(m.Transformer.Transform(m.Test)), Scores.Column(loaded.Transform(m.Test)));
    }

    [Fact]
    public void A_model_saved_before_the_task_stream_loads_as_binary()
    {
        using var folder = new TempFolder();
        var path = Save(folder);
        ModelZip.RemoveEntries(path, name => name.EndsWith(CnnModelFormat.TaskStream, StringComparison.Ordinal));
        ModelZip.SetModelVersion(path, CnnModelFormat.ModelSignature, 0x00010009, 0x00010002);

        using var loaded = Assert.IsType<CnnTransformer>(new MLContext().Model.Load(path, out _));

        Assert.Same(CnnTask.Binary, loaded.Task);
        Assert.Equal(Scores.Column(m.Transformer.Transform(m.Test)), Scores.Column(loaded.Transform(m.Test)));
    }

    [Theory]
    [InlineData(new byte[] { 7, 0, 0, 0 }, "task id 7 is not one this version of MlNetCnn knows")]
    [InlineData(new byte[] { 1, 0 }, "ends before its task id")]
    public void A_damaged_task_stream_is_refused_saying_what_it_holds(byte[] stream, string message)
    {
        using var folder = new TempFolder();
        var path = Save(folder);
        Rewrite(path, stream);

        var error = LoadRefusal.OfOurLoader(Assert.ThrowsAny<Exception>(() => new MLContext().Model.Load(path, out _)));

        Assert.StartsWith("The CNN model in this file is damaged: the task stream 'CnnTask'", error.Message);
        Assert.Contains(message, error.Message);
    }
}
