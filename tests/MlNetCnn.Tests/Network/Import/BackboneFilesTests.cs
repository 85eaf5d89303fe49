using MlNetCnn.Network.Import;
using MlNetCnn.Tests.Support;

namespace MlNetCnn.Tests.Network.Import;

public sealed class BackboneFilesTests
{
    [Fact]
    public void The_apps_output_folder_comes_first_then_package_versions_newest_first()
    {
        using var folder = new TempFolder();
        var app = Directory.CreateDirectory(folder.File("app")).FullName;
        var packages = folder.File("packages");
        foreach (var version in new[] { "0.9.0", "0.23.1", "0.24.0" })
            Place(Path.Combine(packages, "microsoft.ml.dnnimagefeaturizer.resnet18", version, "tools", "DnnImageModels"));

        var candidates = BackboneFiles.ResNet18Candidates(app, packages, home: null);

        Assert.Equal(Path.Combine(app, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx"), candidates[0]);
        Assert.Equal(new[] { "0.24.0", "0.23.1", "0.9.0" }, candidates.Skip(1).Select(c => c.Split(Path.DirectorySeparatorChar)[^5]));
        Assert.Equal(candidates[1], BackboneFiles.FindResNet18(app, packages, home: null));

        Place(Path.Combine(app, "DnnImageModels"));
        Assert.Equal(candidates[0], BackboneFiles.FindResNet18(app, packages, home: null));
    }

    [Fact]
    public void The_home_packages_folder_is_searched_when_NUGET_PACKAGES_is_not_set()
    {
        using var folder = new TempFolder();
        var home = folder.File("home");
        Place(Path.Combine(home, ".nuget", "packages", "microsoft.ml.dnnimagefeaturizer.resnet18", "0.23.1", "tools", "DnnImageModels"));

        var found = BackboneFiles.FindResNet18(folder.File("app"), nugetPackages: null, home);

        Assert.StartsWith(Path.Combine(home, ".nuget", "packages"), found);
    }

    [Fact]
    public void Without_the_file_the_error_names_the_package_to_add_and_every_path_looked_in()
    {
        using var folder = new TempFolder();
        var app = folder.File("app");
        var packages = folder.File("packages");
        var home = folder.File("home");

        var error = Assert.Throws<FileNotFoundException>(() => BackboneFiles.FindResNet18(app, packages, home));

        Assert.Contains("dotnet add package Microsoft.ML.DnnImageFeaturizer.ResNet18 --version 0.23.1", error.Message);
        Assert.Contains(Path.Combine(app, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx"), error.Message);
        Assert.Contains(Path.Combine(packages, "microsoft.ml.dnnimagefeaturizer.resnet18", "<version>", "tools"), error.Message);
        Assert.Contains(Path.Combine(home, ".nuget", "packages", "microsoft.ml.dnnimagefeaturizer.resnet18", "<version>"), error.Message);
    }

    [Fact]
    public void ResNet18_given_a_lone_file_uses_the_recorded_normalisation_and_refuses_a_folder_without_it()
    {
        using var folder = new TempFolder();
        var lone = folder.File("ResNet18.onnx");
        File.Copy(ResNet18Fixture.ResNet18Path(), lone);

        var backbone = PretrainedBackbone.ResNet18(lone);

        Assert.Equal(lone, backbone.ModelPath);
        Assert.Equal(ResNetPreprocess.Recorded, backbone.Normalization);
        var empty = Directory.CreateDirectory(folder.File("empty")).FullName;
        Assert.Contains("holds no ResNet18.onnx", Assert.Throws<FileNotFoundException>(() => PretrainedBackbone.ResNet18(empty)).Message);
        Assert.Throws<FileNotFoundException>(() => PretrainedBackbone.FromOnnx(folder.File("missing.onnx")));
    }

    [Fact]
    public void A_backbone_describes_its_layers_at_another_size()
    {
        var backbone = PretrainedBackbone.ResNet18(ResNet18Fixture.ModelsFolder);

        var layers = backbone.Describe(new ImageGeometry(3, 160, 160));

        Assert.Equal(new[] { 64, 80, 80 }, layers[0].OutputShape);
        Assert.Equal(new[] { 512, 1, 1 }, layers[^1].OutputShape);
    }

    private static void Place(string modelsFolder)
    {
        Directory.CreateDirectory(Path.Combine(modelsFolder, "ResNet18Onnx"));
        File.WriteAllBytes(Path.Combine(modelsFolder, "ResNet18Onnx", "ResNet18.onnx"), new byte[] { 1 });
    }
}
