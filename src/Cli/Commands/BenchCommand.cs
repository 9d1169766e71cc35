namespace NativeFree.Cli.Commands;

/// <summary>
/// <c>nativefree bench [NAME]</c>: quick benchmarks. Each benchmark registers in <see cref="Suites"/>;
/// without NAME the quick suite of every registered benchmark runs and prints one table.
/// </summary>
public sealed class BenchCommand : ICommand
{
    /// <summary>Benchmarks by name. Add a line here for each new benchmark.</summary>
    public static readonly IBenchSuite[] Suites =
    [
        new GemmBench(),
        new ElementwiseBench(),
        new NativeFree.Cli.Bench.MlpStepSuite(),
        new SpGemmBenchSuite(),
        new KernelBench(),
    ];

    public string Name => "bench";
    public string Summary => "benchmarks (gemm, …); without a name, the quick suite as a table";
    public string Help =>
        "usage: nativefree bench [NAME] [options]\n\n" +
        "Without NAME runs the quick suite of every benchmark and prints a table.\n" +
        "Benchmarks:\n" + string.Join("\n", Suites.Select(s => $"  {s.Name,-10} {s.Summary}\n{Indent(s.Help)}"));

    private static string Indent(string s) => string.Join("\n", s.Split('\n').Select(l => "      " + l));

    public int Run(string[] args, TextWriter stdout)
    {
        if (args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal))
        {
            var suite = Suites.FirstOrDefault(s => s.Name == args[0])
                ?? throw new CliException($"unknown benchmark '{args[0]}'; known: {string.Join(", ", Suites.Select(s => s.Name))}");
            return suite.Run(args[1..], stdout);
        }
        var cli = new CliArgs(args, new HashSet<string> { "--json" });
        bool json = cli.Flag("--json");
        cli.RejectUnknown();
        var rows = new List<BenchRow>();
        foreach (var s in Suites) rows.AddRange(s.Quick());
        if (json) { foreach (var r in rows) stdout.WriteLine(r.Json); return 0; }
        stdout.WriteLine($"{"benchmark",-44} {"result",14}  {"unit",-10} note");
        stdout.WriteLine(new string('-', 90));
        foreach (var r in rows) stdout.WriteLine($"{r.Name,-44} {r.Value,14:F2}  {r.Unit,-10} {r.Note}");
        return 0;
    }
}

/// <summary>One benchmark family (gemm, mlp-step, spgemm…).</summary>
public interface IBenchSuite
{
    string Name { get; }
    string Summary { get; }
    string Help { get; }
    /// <summary><c>nativefree bench NAME args…</c>.</summary>
    int Run(string[] args, TextWriter stdout);
    /// <summary>A few seconds of representative measurements for the table.</summary>
    IEnumerable<BenchRow> Quick();
}

/// <summary>A row of the quick table, with the JSON line that <c>--json</c> prints.</summary>
public sealed record BenchRow(string Name, double Value, string Unit, string Note, string Json);
