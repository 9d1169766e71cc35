using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using NativeFree.Tensors.LinearAlgebra;

namespace NativeFree.Cli.Commands;

/// <summary>
/// <c>nativefree bench gemm</c>: square GEMM throughput in GFLOP/s, and its share of this machine's
/// FMA peak, which the command measures itself with a short loop of independent vector FMAs on the
/// same number of threads (so the share is honest on whatever machine, and whatever load, it runs).
/// </summary>
public sealed class GemmBench : IBenchSuite
{
    public string Name => "gemm";
    public string Summary => "C = A·B for n×n matrices: GFLOP/s and share of the measured FMA peak";
    public string Help =>
        "usage: nativefree bench gemm [--n 1024] [--dtype float32|float64] [--threads N] [--json]\n" +
        "  --n N        matrix size (default 1024; several: --n 64 --n 1024)\n" +
        "  --dtype D    float32 (default) or float64\n" +
        "  --threads N  threads for GEMM and for the peak loop (default: all cores)\n" +
        "  --json       one JSON object per line: name, dtype, n, threads, seconds, gflops, peak_gflops, peak_share";

    public int Run(string[] args, TextWriter stdout)
    {
        var cli = new CliArgs(args, new HashSet<string> { "--json" });
        var sizes = cli.GetAll("--n").Select(s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v > 0
            ? v : throw new CliException($"--n expects a positive integer, got '{s}'")).ToList();
        if (sizes.Count == 0) sizes.Add(1024);
        string dtype = cli.Get("--dtype") ?? "float32";
        if (dtype is not ("float32" or "float64")) throw new CliException($"--dtype must be float32 or float64, got '{dtype}'");
        int threads = cli.GetInt("--threads", Environment.ProcessorCount);
        if (threads < 1) throw new CliException($"--threads must be at least 1, got {threads}");
        bool json = cli.Flag("--json");
        cli.RejectUnknown();
        foreach (int n in sizes)
        {
            var r = Measure(dtype, n, threads);
            stdout.WriteLine(json ? r.Json()
                : $"gemm {dtype} n={n} threads={threads}: {r.Gflops:F1} GFLOP/s ({r.Seconds * 1e3:F3} ms per product), " +
                  $"{r.PeakShare:P1} of the measured FMA peak {r.PeakGflops:F1} GFLOP/s");
        }
        return 0;
    }

    public IEnumerable<BenchRow> Quick()
    {
        foreach (var (dtype, n, threads) in new[] { ("float32", 1024, 1), ("float32", 1024, 2), ("float64", 1024, 2), ("float32", 64, 1) })
        {
            int t = Math.Min(threads, Environment.ProcessorCount);
            var r = Measure(dtype, n, t, targetSeconds: 0.2, repetitions: 5);
            yield return new BenchRow($"gemm {dtype} n={n} threads={t}", r.Gflops, "GFLOP/s",
                $"{r.PeakShare:P0} of FMA peak {r.PeakGflops:F0}", r.Json());
        }
    }

    /// <summary>One measurement: the best of several timed batches of products.</summary>
    public sealed record Result(string Dtype, int N, int Threads, double Seconds, double Gflops, double PeakGflops)
    {
        public double PeakShare => Gflops / PeakGflops;

        public string Json() => string.Create(CultureInfo.InvariantCulture,
            $"{{\"name\":\"gemm\",\"dtype\":\"{Dtype}\",\"n\":{N},\"threads\":{Threads},\"seconds\":{Seconds:G6},\"gflops\":{Gflops:F2},\"peak_gflops\":{PeakGflops:F2},\"peak_share\":{PeakShare:F4}}}");
    }

    public static Result Measure(string dtype, int n, int threads, double targetSeconds = 0.5, int repetitions = 10)
        => dtype == "float64" ? Measure<double>(dtype, n, threads, targetSeconds, repetitions) : Measure<float>(dtype, n, threads, targetSeconds, repetitions);

    private static Result Measure<T>(string dtype, int n, int threads, double targetSeconds, int repetitions)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(42);
        var a = new T[(long)n * n]; var b = new T[(long)n * n]; var c = new T[(long)n * n];
        for (int i = 0; i < a.Length; i++) { a[i] = T.CreateTruncating(rng.NextDouble() - 0.5); b[i] = T.CreateTruncating(rng.NextDouble() - 0.5); }
        void Once() => Gemm.Multiply(n, n, n, T.One, a, n, 1, b, n, 1, T.Zero, c, n, 1, threads);
        // Warm up (JIT, thread team, packing buffers), then size batches to ~targetSeconds/repetitions.
        var sw = Stopwatch.StartNew();
        int warm = 0;
        do { Once(); warm++; } while (sw.Elapsed.TotalSeconds < 0.05 || warm < 3);
        double perCall = sw.Elapsed.TotalSeconds / warm;
        int batch = (int)Math.Clamp(targetSeconds / repetitions / perCall, 1, 1_000_000);
        double best = double.MaxValue;
        for (int r = 0; r < repetitions; r++)
        {
            sw.Restart();
            for (int i = 0; i < batch; i++) Once();
            best = Math.Min(best, sw.Elapsed.TotalSeconds / batch);
        }
        double gflops = 2.0 * n * n * (double)n / best / 1e9;
        return new Result(dtype, n, threads, best, gflops, FmaPeak.Gflops<T>(threads));
    }
}

/// <summary>
/// The machine's multiply-add limit for one element type: every thread runs 12 independent vector
/// FMA chains (enough to hide the FMA latency on two pipes) on the widest vectors the runtime
/// accelerates, for about 0.2 s cut into 2 ms windows. Each thread keeps its fastest window and the
/// peak is the sum over the threads, which ran at the same time: on a shared, busy machine short
/// windows are the ones the scheduler leaves undisturbed. Cached per element type and thread count.
/// </summary>
public static class FmaPeak
{
    private static readonly Dictionary<(Type, int), double> s_cache = new();
    private static double s_sink;

    public static double Gflops<T>(int threads) where T : unmanaged, IFloatingPointIeee754<T>
    {
        lock (s_cache)
        {
            if (s_cache.TryGetValue((typeof(T), threads), out double g)) return g;
            // Calibrate a ~2 ms window on this thread (best of a few tries), then measure on all threads.
            long iterations = 1 << 10;
            while (Window<T>(iterations) < 0.0005) iterations *= 2;
            double w = double.MaxValue;
            for (int i = 0; i < 20; i++) w = Math.Min(w, Window<T>(iterations));
            iterations = Math.Max(1, (long)(iterations * 0.002 / w));
            int windows = 100;
            var best = new double[threads];
            var workers = new Thread[threads];
            for (int t = 0; t < threads; t++)
            {
                int id = t;
                workers[t] = new Thread(() =>
                {
                    double b = double.MaxValue;
                    for (int i = 0; i < windows; i++) b = Math.Min(b, Window<T>(iterations));
                    best[id] = b;
                });
            }
            foreach (var t in workers) t.Start();
            foreach (var t in workers) t.Join();
            int lanes = Vector512.IsHardwareAccelerated ? Vector512<T>.Count : Vector256.IsHardwareAccelerated ? Vector256<T>.Count : Vector128<T>.Count;
            g = best.Sum(b => iterations * 12.0 * lanes * 2 / b) / 1e9;
            s_cache[(typeof(T), threads)] = g;
            return g;
        }
    }

    /// <summary>Seconds for one window of <paramref name="iterations"/> × 12 vector FMAs on this thread.</summary>
    private static double Window<T>(long iterations) where T : unmanaged, IFloatingPointIeee754<T>
    {
        long t0 = Stopwatch.GetTimestamp();
        double r = Vector512.IsHardwareAccelerated ? double.CreateTruncating(Chains512<T>(iterations))
            : Vector256.IsHardwareAccelerated ? double.CreateTruncating(Chains256<T>(iterations))
            : double.CreateTruncating(Chains128<T>(iterations));
        double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        s_sink += r;
        return seconds;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static T Chains512<T>(long iterations) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var m = Vector512.Create(T.CreateTruncating(0.9999999)); var b = Vector512.Create(T.CreateTruncating(1e-7));
        Vector512<T> a0 = Vector512.Create(T.One), a1 = a0 + b, a2 = a1 + b, a3 = a2 + b, a4 = a3 + b, a5 = a4 + b,
            a6 = a5 + b, a7 = a6 + b, a8 = a7 + b, a9 = a8 + b, a10 = a9 + b, a11 = a10 + b;
        for (long i = 0; i < iterations; i++)
        {
            a0 = Fma(a0, m, b); a1 = Fma(a1, m, b); a2 = Fma(a2, m, b); a3 = Fma(a3, m, b);
            a4 = Fma(a4, m, b); a5 = Fma(a5, m, b); a6 = Fma(a6, m, b); a7 = Fma(a7, m, b);
            a8 = Fma(a8, m, b); a9 = Fma(a9, m, b); a10 = Fma(a10, m, b); a11 = Fma(a11, m, b);
        }
        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);

        static Vector512<T> Fma(Vector512<T> x, Vector512<T> y, Vector512<T> z) => typeof(T) == typeof(float)
            ? Vector512.FusedMultiplyAdd(x.As<T, float>(), y.As<T, float>(), z.As<T, float>()).As<float, T>()
            : Vector512.FusedMultiplyAdd(x.As<T, double>(), y.As<T, double>(), z.As<T, double>()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static T Chains256<T>(long iterations) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var m = Vector256.Create(T.CreateTruncating(0.9999999)); var b = Vector256.Create(T.CreateTruncating(1e-7));
        Vector256<T> a0 = Vector256.Create(T.One), a1 = a0 + b, a2 = a1 + b, a3 = a2 + b, a4 = a3 + b, a5 = a4 + b,
            a6 = a5 + b, a7 = a6 + b, a8 = a7 + b, a9 = a8 + b, a10 = a9 + b, a11 = a10 + b;
        for (long i = 0; i < iterations; i++)
        {
            a0 = Fma(a0, m, b); a1 = Fma(a1, m, b); a2 = Fma(a2, m, b); a3 = Fma(a3, m, b);
            a4 = Fma(a4, m, b); a5 = Fma(a5, m, b); a6 = Fma(a6, m, b); a7 = Fma(a7, m, b);
            a8 = Fma(a8, m, b); a9 = Fma(a9, m, b); a10 = Fma(a10, m, b); a11 = Fma(a11, m, b);
        }
        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);

        static Vector256<T> Fma(Vector256<T> x, Vector256<T> y, Vector256<T> z) => typeof(T) == typeof(float)
            ? Vector256.MultiplyAddEstimate(x.As<T, float>(), y.As<T, float>(), z.As<T, float>()).As<float, T>()
            : Vector256.MultiplyAddEstimate(x.As<T, double>(), y.As<T, double>(), z.As<T, double>()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static T Chains128<T>(long iterations) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var m = Vector128.Create(T.CreateTruncating(0.9999999)); var b = Vector128.Create(T.CreateTruncating(1e-7));
        Vector128<T> a0 = Vector128.Create(T.One), a1 = a0 + b, a2 = a1 + b, a3 = a2 + b, a4 = a3 + b, a5 = a4 + b,
            a6 = a5 + b, a7 = a6 + b, a8 = a7 + b, a9 = a8 + b, a10 = a9 + b, a11 = a10 + b;
        for (long i = 0; i < iterations; i++)
        {
            a0 = Fma(a0, m, b); a1 = Fma(a1, m, b); a2 = Fma(a2, m, b); a3 = Fma(a3, m, b);
            a4 = Fma(a4, m, b); a5 = Fma(a5, m, b); a6 = Fma(a6, m, b); a7 = Fma(a7, m, b);
            a8 = Fma(a8, m, b); a9 = Fma(a9, m, b); a10 = Fma(a10, m, b); a11 = Fma(a11, m, b);
        }
        return Vector128.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);

        static Vector128<T> Fma(Vector128<T> x, Vector128<T> y, Vector128<T> z) => typeof(T) == typeof(float)
            ? Vector128.MultiplyAddEstimate(x.As<T, float>(), y.As<T, float>(), z.As<T, float>()).As<float, T>()
            : Vector128.MultiplyAddEstimate(x.As<T, double>(), y.As<T, double>(), z.As<T, double>()).As<double, T>();
    }
}
