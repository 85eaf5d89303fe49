using System.Reflection;
using Microsoft.ML;

namespace MlNetCnn.Tests.Support;

/// <summary>
/// ML.NET builds a <see cref="SchemaShape"/> from a schema only internally (SchemaShape.Create); estimators in a
/// pipeline receive one that way. Tests reach the same method.
/// </summary>
public static class SchemaShapes
{
    public static SchemaShape From(DataViewSchema schema) =>
        (SchemaShape)typeof(SchemaShape).GetMethod("Create", BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public, new[] { typeof(DataViewSchema) })!
            .Invoke(null, new object[] { schema })!;

    public static SchemaShape.Column? Find(SchemaShape shape, string name) =>
        shape.Cast<SchemaShape.Column?>().LastOrDefault(c => c!.Value.Name == name);
}
