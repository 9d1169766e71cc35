using NativeFree.Cli;
using NativeFree.Cli.Commands;

// The command table. Each command lives in Commands/ and registers here with one line.
ICommand[] commands =
[
    new BenchCommand(),
    new ExplainCommand(),
    new SpGemmCommand(),
    new KernelCommand(),
    new PredictCommand(),
    new InitCommand(),
    new EvalCommand(),
    new NativeFree.Cli.Experiments.ExperimentCommand(),
];

return Cli.Run(args, commands, Console.Out, Console.Error);

namespace NativeFree.Cli
{
    /// <summary>Dispatch and error handling shared by every command (and by tests).</summary>
    public static class Cli
    {
        public static int Run(string[] args, ICommand[] commands, TextWriter stdout, TextWriter stderr)
        {
            if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
            {
                stdout.WriteLine("nativefree: a pure-managed numerics engine for deep-learning research.\n");
                stdout.WriteLine("usage: nativefree COMMAND [options]   (nativefree COMMAND --help for details)\n");
                foreach (var c in commands) stdout.WriteLine($"  {c.Name,-10} {c.Summary}");
                return args.Length == 0 ? 1 : 0;
            }
            var cmd = commands.FirstOrDefault(c => c.Name == args[0]);
            if (cmd is null)
            {
                stderr.WriteLine($"nativefree: unknown command '{args[0]}'. Commands: {string.Join(", ", commands.Select(c => c.Name))}.");
                return 2;
            }
            var rest = args[1..];
            if (rest.Contains("--help") || rest.Contains("-h"))
            {
                stdout.WriteLine(cmd.Help);
                return 0;
            }
            try
            {
                return cmd.Run(rest, stdout);
            }
            catch (CliException e)
            {
                stderr.WriteLine($"nativefree {cmd.Name}: {e.Message}");
                return 2;
            }
            catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException or InvalidOperationException or FormatException)
            {
                stderr.WriteLine($"nativefree {cmd.Name}: {e.Message}");
                return 1;
            }
        }
    }
}
