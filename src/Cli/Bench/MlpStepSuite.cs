using System.Diagnostics;
using System.Globalization;
using NativeFree.Cli.Commands;

namespace NativeFree.Cli.Bench;

/// <summary>
/// <c>nativefree bench mlp-step [--impl models|hand] [--json]</c>: microseconds per SGD training step of three
/// ReLU MLPs (the shapes of shared/anchors/mlp_torch.py), the overhead per recorded op, and bytes allocated per
/// step. <c>--impl models</c> (the default) runs the step through Models (<see cref="ModelsMlpStep"/>),
/// <c>hand</c> the autograd ops written out (<see cref="MlpStep"/>).
/// </summary>
public sealed class MlpStepSuite : IBenchSuite
{
    private static readonly (int Batch, int[] Dims)[] Shapes =
    [
        (1, [4, 8, 1]),
        (64, [64, 128, 128, 10]),
        (128, [784, 1024, 1024, 10]),
    ];

    public string Name => "mlp-step";
    public string Summary => "training step (forward, cross-entropy, backward, SGD) of ReLU MLPs";
    public string Help =>
        "usage: nativefree bench mlp-step [--impl models|hand] [--json] [--breakdown]\n" +
        "Shapes: batch 1 4-8-1, batch 64 64-128-128-10, batch 128 784-1024-1024-10 (float32).\n" +
        "Reports us/step (best of 3 rounds), recorded ops per step, ns per recorded op (batch-1 row: pure overhead)\n" +
        "and bytes allocated per step on the calling thread. Peer: shared/anchors/mlp_torch.py --opt sgd.\n" +
        "--impl models (default): Sequential(Linear, ReLU, …) from SPEC text + Models.Optim.Sgd; hand: the autograd ops written out.\n" +
        "--breakdown: microseconds of forward+loss, backward and SGD update separately.";

    public int Run(string[] args, TextWriter stdout)
    {
        var cli = new CliArgs(args, new HashSet<string> { "--json", "--breakdown" });
        bool json = cli.Flag("--json");
        bool breakdown = cli.Flag("--breakdown");
        string impl = cli.Get("--impl") ?? "models";
        if (impl is not ("models" or "hand")) throw new CliException($"--impl must be models or hand, got '{impl}'");
        cli.RejectUnknown();
        if (breakdown)
        {
            stdout.WriteLine($"{"shape (impl " + impl + ")",-36} {"forward us",12} {"backward us",12} {"update us",12}");
            foreach (var (batch, dims) in Shapes)
            {
                var (f, b, u) = Breakdown(batch, dims, impl);
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{$"mlp-step B={batch} {string.Join("-", dims)}",-36} {f,12:F1} {b,12:F1} {u,12:F1}"));
            }
            var (hf, hb1, hd, hb2) = HvpBreakdown(64, [64, 128, 128, 10]);
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"hvp B=64 64-128-128-10: forward {hf:F1} us, backward with createGraph {hb1:F1} us, dot {hd:F1} us, second backward {hb2:F1} us"));
            stdout.WriteLine("second backward by op (best pass of 30): " + ByOp);
            double ratio = HvpOverGrad(64, [64, 128, 128, 10], out double gradUs, out double hvpUs);
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"hvp/grad B=64 64-128-128-10: grad_us {gradUs:F1}, hvp_us {hvpUs:F1}, ratio {ratio:F2} (budget 4x)"));
            return 0;
        }
        var rows = Rows(impl).ToList();
        if (json) foreach (var r in rows) stdout.WriteLine(r.Json);
        else
        {
            stdout.WriteLine($"{"shape (impl " + impl + ")",-36} {"us/step",12} {"ops",5} {"ns/op",10} {"bytes/step",12}");
            foreach (var r in rows) stdout.WriteLine($"{r.Name,-36} {r.Value,12:F1} {r.Note}");
        }
        return 0;
    }

    /// <summary>The rows of the default implementation (models).</summary>
    public IEnumerable<BenchRow> Quick() => Rows("models");

    private static IEnumerable<BenchRow> Rows(string impl)
    {
        foreach (var (batch, dims) in Shapes)
        {
            var m = Measure(batch, dims, impl);
            string dimText = string.Join("-", dims);
            string json = string.Create(CultureInfo.InvariantCulture,
                $"{{\"name\": \"mlp-step\", \"impl\": \"{impl}\", \"batch\": {batch}, \"dims\": \"{dimText}\", \"us_per_step\": {m.UsPerStep:F2}, \"ops_per_step\": {m.Ops}, \"ns_per_op\": {m.NsPerOp:F1}, \"bytes_per_step\": {m.BytesPerStep}}}");
            yield return new BenchRow($"mlp-step B={batch} {dimText}", m.UsPerStep, "us/step",
                string.Create(CultureInfo.InvariantCulture, $"{m.Ops} ops/step, {m.NsPerOp:F0} ns/op, {m.BytesPerStep} B/step"), json);
        }
        double ratio = HvpOverGrad(64, [64, 128, 128, 10], out double gradUs, out double hvpUs);
        yield return new BenchRow("mlp-hvp/grad B=64 64-128-128-10", ratio, "x",
            string.Create(CultureInfo.InvariantCulture, $"Hvp {hvpUs:F0} us / gradient {gradUs:F0} us (budget 4x)"),
            string.Create(CultureInfo.InvariantCulture, $"{{\"name\": \"mlp-hvp-over-grad\", \"batch\": 64, \"dims\": \"64-128-128-10\", \"ratio\": {ratio:F2}, \"grad_us\": {gradUs:F1}, \"hvp_us\": {hvpUs:F1}}}"));
    }

    /// <summary>
    /// Time of one Hessian-vector product (Pearlmutter) over one gradient, both through the functional
    /// API on the MLP's loss as a function of all its parameters. The issue's budget is 4×.
    /// </summary>
    public static double HvpOverGrad(int batch, int[] dims) => HvpOverGrad(batch, dims, out _, out _);

    private static double LastGradUs, LastHvpUs;

    /// <summary>As <see cref="HvpOverGrad(int, int[])"/>, also giving the two times in microseconds.</summary>
    public static double HvpOverGrad(int batch, int[] dims, out double gradUs, out double hvpUs)
    {
        double r = HvpOverGradCore(batch, dims);
        gradUs = LastGradUs; hvpUs = LastHvpUs;
        return r;
    }

    private static double HvpOverGradCore(int batch, int[] dims)
    {
        var mlp = new MlpStep(batch, dims);
        var xs = mlp.Parameters.Select(p => p.Value).ToArray();
        var vs = xs.Select(x => NativeFree.Tensors.Tensor.Ones<float>(x.ShapeArray)).ToArray();
        double Best(Action a)
        {
            // Warm up for ~0.4 s so the tiered JIT has optimised the createGraph paths too (they run only here).
            var warm = Stopwatch.StartNew();
            while (warm.Elapsed.TotalSeconds < 0.4) a();
            double best = double.MaxValue;
            for (int i = 0; i < 30; i++) { var sw = Stopwatch.StartNew(); a(); best = Math.Min(best, sw.Elapsed.TotalSeconds); }
            return best;
        }
        // Both inside a GraphScope, as a training loop would run them (buffers pooled across calls).
        double grad = Best(() => { using var scope = new NativeFree.Autograd.GraphScope(); NativeFree.Autograd.Autodiff.ValueAndGrad(mlp.LossOf, xs); });
        double hvp = Best(() => { using var scope = new NativeFree.Autograd.GraphScope(); NativeFree.Autograd.Autodiff.Hvp(mlp.LossOf, xs, vs); });
        LastGradUs = grad * 1e6;
        LastHvpUs = hvp * 1e6;
        return hvp / grad;
    }

    /// <summary>Mean microseconds of forward+loss, backward and update over ≈0.3 s of steps, after a warm-up.</summary>
    public static (double Forward, double Backward, double Update) Breakdown(int batch, int[] dims, string impl = "models")
    {
        var mlp = IMlpStep.Create(impl, batch, dims);
        var ticks = new long[3];
        for (int i = 0; i < 5; i++) mlp.StepTimed(ticks);
        Array.Clear(ticks);
        var sw = Stopwatch.StartNew();
        int steps = 0;
        while (steps < 3 || (sw.Elapsed.TotalSeconds < 0.3 && steps < 100000)) { mlp.StepTimed(ticks); steps++; }
        double us = 1e6 / Stopwatch.Frequency / steps;
        return (ticks[0] * us, ticks[1] * us, ticks[2] * us);
    }

    /// <summary>Best-of microseconds of the four phases of a Pearlmutter Hvp on the MLP (in a GraphScope).</summary>
    public static (double Forward, double Backward1, double Dot, double Backward2) HvpBreakdown(int batch, int[] dims)
    {
        var mlp = new MlpStep(batch, dims);
        var xs = mlp.Parameters.Select(p => p.Value).ToArray();
        var vs = xs.Select(x => NativeFree.Tensors.Tensor.Ones<float>(x.ShapeArray)).ToArray();
        var best = new double[4] { double.MaxValue, double.MaxValue, double.MaxValue, double.MaxValue };
        var observer = new TimeByOp();
        for (int rep = -200; rep < 30; rep++)
        {
            if (rep == 0) { Array.Fill(best, double.MaxValue); observer.Best.Clear(); }
            using var scope = new NativeFree.Autograd.GraphScope();
            long t0 = Stopwatch.GetTimestamp();
            var leaves = xs.Select(x => NativeFree.Autograd.Var<float>.Parameter(x)).ToArray();
            var y = mlp.LossOf(leaves);
            long t1 = Stopwatch.GetTimestamp();
            var grads = NativeFree.Autograd.Autodiff.Gradients(y, leaves, createGraph: true);
            long t2 = Stopwatch.GetTimestamp();
            NativeFree.Autograd.Var<float>? dot = null;
            for (int i = 0; i < grads.Length; i++) { var term = NativeFree.Autograd.Var<float>.Dot(grads[i]!, NativeFree.Autograd.Var<float>.Constant(vs[i])); dot = dot is null ? term : dot + term; }
            long t3 = Stopwatch.GetTimestamp();
            observer.Last = Stopwatch.GetTimestamp();
            NativeFree.Autograd.Autodiff.Gradients(dot!, leaves, observer: observer);
            long t4 = Stopwatch.GetTimestamp();
            observer.EndPass();
            long[] t = [t0, t1, t2, t3, t4];
            for (int k = 0; k < 4; k++) best[k] = Math.Min(best[k], (t[k + 1] - t[k]) * 1e6 / Stopwatch.Frequency);
        }
        ByOp = string.Join(", ", observer.Best.OrderByDescending(kv => kv.Value).Take(Environment.GetEnvironmentVariable("NF_BYSHAPE") is null ? 8 : 30)
            .Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value * 1e6 / Stopwatch.Frequency:F1}us")));
        return (best[0], best[1], best[2], best[3]);
    }

    /// <summary>Time of the second backward of the last <see cref="HvpBreakdown"/> by op (best pass per op, rough).</summary>
    public static string ByOp { get; private set; } = "";

    // Charges the time between consecutive nodes of a backward pass to the op of the later one.
    private sealed class TimeByOp : NativeFree.Autograd.IBackwardObserver<float>
    {
        public long Last;
        public readonly Dictionary<string, long> Ticks = new();
        public readonly Dictionary<string, long> Best = new();
        public void EndPass()
        {
            foreach (var (op, t) in Ticks) Best[op] = Math.Min(Best.GetValueOrDefault(op, long.MaxValue), t);
            Ticks.Clear();
        }
        public void OnNode(NativeFree.Autograd.Node<float> node, NativeFree.Autograd.Var<float> gradOutput, IReadOnlyList<NativeFree.Autograd.Var<float>?> inputGrads)
        {
            long now = Stopwatch.GetTimestamp();
            // NF_BYSHAPE=1 splits each op by its input shapes (T marks a strided view): a profiling aid.
            string key = Environment.GetEnvironmentVariable("NF_BYSHAPE") is null ? node.Op.Name
                : node.Op.Name + "(" + string.Join(",", node.Inputs.Select(i => string.Join("x", i.Value.ShapeArray) + (i.Value.IsContiguous ? "" : "T"))) + ")";
            Ticks[key] = Ticks.GetValueOrDefault(key) + now - Last;
            Last = now;
        }
    }

    /// <summary>One shape's figures.</summary>
    public sealed record Figures(double UsPerStep, int Ops, double NsPerOp, long BytesPerStep);

    /// <summary>Warms up, then times rounds of steps (each round ≈ 0.3 s) and keeps the best; counts allocations over one round.</summary>
    public static Figures Measure(int batch, int[] dims, string impl = "models")
    {
        var mlp = IMlpStep.Create(impl, batch, dims);
        int ops = mlp.CountRecordedOps();
        var sw = Stopwatch.StartNew();
        int warm = 0;
        while (warm < 3 || (sw.Elapsed.TotalSeconds < 0.2 && warm < 200)) { mlp.Step(); warm++; }
        double perStep = sw.Elapsed.TotalSeconds / warm;
        int steps = Math.Max(1, (int)(0.3 / perStep));
        double best = double.MaxValue;
        long bytes = 0;
        for (int round = 0; round < 3; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            sw.Restart();
            for (int s = 0; s < steps; s++) mlp.Step();
            best = Math.Min(best, sw.Elapsed.TotalSeconds / steps);
            bytes = (GC.GetAllocatedBytesForCurrentThread() - before) / steps;
        }
        double us = best * 1e6;
        return new Figures(us, ops, us * 1000 / ops, bytes);
    }
}
