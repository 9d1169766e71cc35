using System.Diagnostics;
using System.Globalization;

namespace NativeFree.Cli.Experiments;

/// <summary>
/// <c>nativefree experiment list</c> and <c>nativefree experiment NAME [--quick] [--seed S] [--out DIR] [--json]</c>:
/// runs one reproduction, prints its table, writes <c>DIR/NAME.json</c> and its SVG figures, and with
/// <c>--json</c> prints the result object as the last line.
/// </summary>
public sealed class ExperimentCommand : ICommand
{
    /// <summary>Experiments by name. Add a line here for each new experiment.</summary>
    public static readonly IExperiment[] Experiments =
    [
        new NtkWidthExperiment(),
    ];

    public string Name => "experiment";
    public string Summary => "reproduce one paper's claim: table, NAME.json and SVG figures (list: what exists)";
    public string Help =>
        "usage: nativefree experiment list\n" +
        "       nativefree experiment NAME [--quick] [--seed S] [--out DIR] [--json]\n\n" +
        "Runs one reproduction, prints its table, writes DIR/NAME.json (default DIR: results) and its SVG figures.\n" +
        "--quick is the CI form (about a minute on 2 cores); --seed seeds every draw (default 0); --json prints the\n" +
        "result object as the last line. Nothing is written to DIR unless the run finishes.\n\n" +
        "experiments:\n" + string.Join("\n", Experiments.Select(e => $"  {e.Name,-18} {e.Claim}"));

    public int Run(string[] args, TextWriter stdout)
    {
        var cli = new CliArgs(args, new HashSet<string> { "--json", "--quick" });
        if (cli.Positional.Count != 1)
            throw new CliException("expected one experiment name (or 'list'): nativefree experiment NAME [--quick] [--out DIR] [--json]");
        string name = cli.Positional[0];
        if (name == "list")
        {
            cli.RejectUnknown();
            foreach (var e in Experiments) stdout.WriteLine($"{e.Name,-18} {e.Claim}");
            return 0;
        }
        var experiment = Experiments.FirstOrDefault(e => e.Name == name)
            ?? throw new CliException($"unknown experiment '{name}'; known: {string.Join(", ", Experiments.Select(e => e.Name))}");
        bool quick = cli.Flag("--quick"), json = cli.Flag("--json");
        string seedText = cli.Get("--seed") ?? "0";
        if (!ulong.TryParse(seedText, NumberStyles.None, CultureInfo.InvariantCulture, out ulong seed))
            throw new CliException($"--seed expects a non-negative integer, got '{seedText}'");
        string outDir = cli.Get("--out") ?? "results";
        cli.RejectUnknown();

        var sw = Stopwatch.StartNew();
        var result = experiment.Run(new ExperimentSettings(quick, seed), stdout, CancellationToken.None);
        double seconds = sw.Elapsed.TotalSeconds;

        // The header fields first, then the experiment's own, so every NAME.json reads the same way.
        var fields = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["experiment"] = experiment.Name,
            ["claim"] = experiment.Claim,
            ["quick"] = quick,
            ["seed"] = seed,
        };
        foreach (var (k, v) in result.Fields) fields[k] = v;
        fields["seconds"] = Math.Round(seconds, 3);

        Directory.CreateDirectory(outDir);
        var written = new List<string>();
        WriteAtomically(Path.Combine(outDir, experiment.Name + ".json"), Json.Write(fields, indented: true) + "\n", written);
        foreach (var (file, plot) in result.Figures)
            WriteAtomically(Path.Combine(outDir, file), Svg.ToSvg(plot), written);
        stdout.WriteLine($"wrote {string.Join(", ", written)} ({seconds:F1} s)");
        if (json) stdout.WriteLine(Json.Write(fields));
        return 0;
    }

    /// <summary>Writes beside the target and renames, so a reader never sees half a file.</summary>
    private static void WriteAtomically(string path, string text, List<string> written)
    {
        string temp = path + ".tmp";
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
        written.Add(path);
    }
}
