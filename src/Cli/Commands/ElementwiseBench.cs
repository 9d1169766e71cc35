using System.Diagnostics;
using System.Globalization;
using NativeFree.Tensors;

namespace NativeFree.Cli.Commands;

/// <summary>
/// <c>nativefree bench elementwise</c>: exp and add on 1M floats, ours against TensorPrimitives on the same
/// spans, best of several repetitions (this machine is shared: the ratio is the figure, not the time).
/// </summary>
public sealed class ElementwiseBench : IBenchSuite
{
    public string Name => "elementwise";
    public string Summary => "exp and add on 1M floats, ours vs TensorPrimitives";
    public string Help => "usage: nativefree bench elementwise [--n 1048576] [--reps 15] [--json]";

    public int Run(string[] args, TextWriter stdout)
    {
        var cli = new CliArgs(args, new HashSet<string> { "--json" });
        int n = cli.GetInt("--n", 1 << 20);
        int reps = cli.GetInt("--reps", 15);
        bool json = cli.Flag("--json");
        cli.RejectUnknown();
        if (n < 1) throw new CliException($"--n must be positive, got {n}");
        if (reps < 1) throw new CliException($"--reps must be positive, got {reps}");
        foreach (var row in Measure(n, reps))
            stdout.WriteLine(json ? row.Json : $"{row.Name,-28} {row.Value,10:F3} ms  {row.Note}");
        return 0;
    }

    public IEnumerable<BenchRow> Quick() => Measure(1 << 20, 15);

    private static List<BenchRow> Measure(int n, int reps)
    {
        var rng = new Random(1);
        var x = Tensor.FromArray(Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 20 - 10)).ToArray(), n);
        var y = Tensor.FromArray(Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble()).ToArray(), n);
        var d = Tensor.Zeros<float>(n);
        var rows = new List<BenchRow>();
        // Interleave ours and theirs in each repetition so drifting load on the shared machine hits both alike.
        var (expOurs, expTp) = BestOf(reps, () => Tensor.Exp(x, d), () => System.Numerics.Tensors.TensorPrimitives.Exp(x.AsSpan(), d.AsSpan()));
        var (addOurs, addTp) = BestOf(reps, () => Tensor.Add(x, y, d), () => System.Numerics.Tensors.TensorPrimitives.Add(x.AsSpan(), y.AsSpan(), d.AsSpan()));
        rows.Add(Row("elementwise exp f32", n, expOurs, expTp));
        rows.Add(Row("elementwise add f32", n, addOurs, addTp));
        return rows;
    }

    private static (double Ours, double Theirs) BestOf(int reps, Action ours, Action theirs)
    {
        ours(); theirs(); // JIT and page-in
        double bestOurs = double.MaxValue, bestTheirs = double.MaxValue;
        for (int r = 0; r < reps; r++)
        {
            bestOurs = Math.Min(bestOurs, Time(ours));
            bestTheirs = Math.Min(bestTheirs, Time(theirs));
        }
        return (bestOurs, bestTheirs);
    }

    private static double Time(Action a)
    {
        // Several calls per sample so that one sample is well above timer resolution.
        const int inner = 4;
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < inner; i++) a();
        return Stopwatch.GetElapsedTime(t0).TotalSeconds / inner;
    }

    private static BenchRow Row(string name, int n, double seconds, double theirs)
    {
        double ratio = theirs / seconds; // > 1: ours is faster
        string json = string.Create(CultureInfo.InvariantCulture,
            $"{{\"name\":\"{name}\",\"n\":{n},\"seconds\":{seconds:G6},\"tensorprimitives_seconds\":{theirs:G6},\"ratio_vs_tensorprimitives\":{ratio:F3}}}");
        return new BenchRow(name, seconds * 1e3, "ms", $"n={n}, TensorPrimitives {theirs * 1e3:F3} ms, speed ratio {ratio:F2} (>1 = ours faster)", json);
    }
}
