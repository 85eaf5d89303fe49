namespace MlNetCnn.Tests.Cli;

/// <summary>The CLI test classes that share one <see cref="TinyModelFixture"/> training run.</summary>
[CollectionDefinition(Name)]
public sealed class TinyModelCollection : ICollectionFixture<TinyModelFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "CLI tiny model";
}
