// Usage: Publicizer OUTPUT_DIR ASSEMBLY...
// Writes OUTPUT_DIR/<name>.dll for each ASSEMBLY with every type, method and field made public.
// The copies are for compiling against only; at run time the real assemblies load, and
// [IgnoresAccessChecksTo] lets the runtime accept the calls.
using Mono.Cecil;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: Publicizer OUTPUT_DIR ASSEMBLY...");
    return 2;
}

var outputDir = args[0];
Directory.CreateDirectory(outputDir);
foreach (var input in args.Skip(1))
{
    var output = Path.Combine(outputDir, Path.GetFileName(input));
    if (File.Exists(output) && File.GetLastWriteTimeUtc(output) >= File.GetLastWriteTimeUtc(input))
        continue;

    var resolver = new DefaultAssemblyResolver();
    resolver.AddSearchDirectory(Path.GetDirectoryName(Path.GetFullPath(input))!);
    using var assembly = AssemblyDefinition.ReadAssembly(input, new ReaderParameters { AssemblyResolver = resolver });
    foreach (var type in assembly.MainModule.GetTypes())
        Publicize(type);

    var temp = output + ".tmp";
    assembly.Write(temp);
    File.Move(temp, output, overwrite: true);
    Console.WriteLine($"Publicizer: {input} -> {output}");
}
return 0;

static void Publicize(TypeDefinition type)
{
    if (type.IsNested)
        type.IsNestedPublic = true;
    else
        type.IsPublic = true;

    foreach (var method in type.Methods)
    {
        // Explicit interface implementations keep their access: making them public gives the
        // compiler two members with one meaning.
        if (!method.Name.Contains('.') || method.IsConstructor)
            method.IsPublic = true;
    }

    var eventNames = type.Events.Select(e => e.Name).ToHashSet();
    foreach (var field in type.Fields)
    {
        // A field-like event's backing field has the event's name; exposing it makes the name ambiguous.
        if (!field.Name.StartsWith('<') && !eventNames.Contains(field.Name))
            field.IsPublic = true;
    }
}
