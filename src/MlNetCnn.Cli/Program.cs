// Placeholder entry point; the commands land with the CLI issue.
return MlNetCnn.Cli.Placeholder.Run(args);

namespace MlNetCnn.Cli
{
    internal static class Placeholder
    {
        public static int Run(string[] args)
        {
            Console.Error.WriteLine("mlnetcnn: no commands yet.");
            return 2;
        }
    }
}
