using System.Diagnostics;
using System.Globalization;
using NativeFree.Tensors.Sparse;

namespace NativeFree.Cli.Commands;

/// <summary><c>nativefree spgemm A.mtx [B.mtx]</c>: times C = A·B on Matrix Market files, the SciPy anchor's metric.</summary>
public sealed class SpGemmCommand : ICommand
{
    public string Name => "spgemm";
    public string Summary => "sparse × sparse product C = A·B of Matrix Market files, timed";
    public string Help =>
        "usage: nativefree spgemm A.mtx [B.mtx] [--out C.mtx] [--threads N] [--sorted] [--repeat R]\n" +
        "                        [--accumulator auto|dense|marker|hash|window] [--one-pass] [--float] [--json]\n" +
        "                        [--mask M.mtx [--keep-mask-pattern]]\n\n" +
        "Reads A (and B, default A), multiplies R times (default 3) and reports the best run:\n" +
        "n, nnz(A), multiplies (Σ over a_ik of nnz(B row k)), nnz(C), seconds and MFLOPS = 2·multiplies/seconds,\n" +
        "the same metric as ../shared/anchors/spgemm_scipy.py. Also reports the bytes allocated besides\n" +
        "the output during the product. --sorted sorts each output row; --out writes C (sorted).\n" +
        "--one-pass computes rows into per-thread segments and copies them into C (extra memory: about\n" +
        "the output) instead of counting every row exactly first (extra memory: per-thread workspaces).\n" +
        "--mask computes only the entries of A·B stored in M (GraphBLAS's C<M> = A·B; M's values are\n" +
        "ignored): C keeps the masked positions with at least one term, or with --keep-mask-pattern\n" +
        "exactly M's pattern (0 where no term: a sampled product). Multiplies then counts the terms kept.\n" +
        "--serve reads the matrices once, prints 'ready', then times one product per stdin line\n" +
        "'THREADS [auto|dense|marker|hash|window]' and prints its JSON line: for interleaving runs with a\n" +
        "peer under the same machine load (bench/spgemm_interleaved.py).";

    public int Run(string[] args, TextWriter stdout)
    {
        var cli = new CliArgs(args, new HashSet<string> { "--sorted", "--json", "--float", "--one-pass", "--serve", "--keep-mask-pattern" });
        bool sorted = cli.Flag("--sorted"), json = cli.Flag("--json"), single = cli.Flag("--float"), onePass = cli.Flag("--one-pass");
        bool serve = cli.Flag("--serve");
        int threads = cli.GetInt("--threads", 0);
        int repeat = cli.GetInt("--repeat", 3);
        string? outPath = cli.Get("--out");
        var acc = ParseAccumulator(cli.Get("--accumulator") ?? "auto");
        string? maskPath = cli.Get("--mask");
        bool keepPattern = cli.Flag("--keep-mask-pattern");
        cli.RejectUnknown();
        if (keepPattern && maskPath is null) throw new CliException("--keep-mask-pattern needs --mask M.mtx");
        if (maskPath is not null && (serve || onePass)) throw new CliException("--mask does not combine with --serve or --one-pass");
        if (cli.Positional.Count is < 1 or > 2) throw new CliException("expected A.mtx [B.mtx]");
        if (repeat < 1) throw new CliException("--repeat must be at least 1");
        if (threads < 0) throw new CliException("--threads must be positive");
        var options = new SpGemmOptions { Threads = threads == 0 ? null : threads, Sorted = sorted, Accumulator = acc, OnePass = onePass };
        if (serve)
            return single ? Serve<float>(cli, options, Console.In, stdout) : Serve<double>(cli, options, Console.In, stdout);
        var mask = new MaskRequest(maskPath, keepPattern);
        return single ? Run<float>(cli, options, repeat, outPath, json, stdout, mask) : Run<double>(cli, options, repeat, outPath, json, stdout, mask);
    }

    private static SpGemmAccumulator ParseAccumulator(string name) => name switch
    {
        "auto" => SpGemmAccumulator.Auto,
        "dense" => SpGemmAccumulator.Dense,
        "hash" => SpGemmAccumulator.Hash,
        "marker" => SpGemmAccumulator.Marker,
        "window" => SpGemmAccumulator.Window,
        var s => throw new CliException($"--accumulator must be auto, dense, marker, hash or window, got '{s}'"),
    };

    /// <summary>One product per request line ("THREADS [ACCUMULATOR]"), so a driver can interleave ours with a peer's runs.</summary>
    public static int Serve<T>(CliArgs cli, SpGemmOptions options, TextReader stdin, TextWriter stdout)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var a = MatrixMarket.ReadCsr<T>(cli.Positional[0]);
        var b = cli.Positional.Count == 2 ? MatrixMarket.ReadCsr<T>(cli.Positional[1]) : a;
        string name = Path.GetFileName(cli.Positional[0]);
        stdout.WriteLine("ready");
        stdout.Flush();
        while (stdin.ReadLine() is { } line)
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0) continue;
            if (!int.TryParse(parts[0], out int t) || t < 1) throw new CliException($"--serve: expected 'THREADS [ACCUMULATOR]', got '{line}'");
            var opt = options with { Threads = t, Accumulator = parts.Length > 1 ? ParseAccumulator(parts[1]) : options.Accumulator };
            var r = Measure(a, b, opt, 1, out _);
            stdout.WriteLine(r.Json(name));
            stdout.Flush();
        }
        return 0;
    }

    /// <summary>The --mask file (none: the full product) and whether C keeps its whole pattern.</summary>
    private readonly record struct MaskRequest(string? Path, bool KeepPattern);

    private static int Run<T>(CliArgs cli, SpGemmOptions options, int repeat, string? outPath, bool json, TextWriter stdout, MaskRequest maskRequest)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var a = MatrixMarket.ReadCsr<T>(cli.Positional[0]);
        var b = cli.Positional.Count == 2 ? MatrixMarket.ReadCsr<T>(cli.Positional[1]) : a;
        var mask = maskRequest.Path is null ? null : MatrixMarket.ReadCsr<T>(maskRequest.Path);
        var r = Measure(a, b, options, repeat, out var c, mask, maskRequest.KeepPattern);
        if (outPath is not null) MatrixMarket.Write(outPath, c);
        string name = Path.GetFileName(cli.Positional[0]);
        stdout.WriteLine(json ? r.Json(name) : r.Text(name));
        return 0;
    }

    /// <summary>Best of <paramref name="repeat"/> products, with the memory measured on the last one.</summary>
    internal static SpGemmRun Measure<T>(CsrMatrix<T> a, CsrMatrix<T> b, SpGemmOptions options, int repeat, out CsrMatrix<T> c,
        CsrMatrix<T>? mask = null, bool keepMaskPattern = false)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        double best = double.MaxValue;
        SpGemmStats? stats = null;
        c = null!;
        long extra = 0;
        double bestCpu = double.MaxValue;
        var proc = Process.GetCurrentProcess();
        for (int k = 0; k < repeat; k++)
        {
            c = null!;
            GC.Collect();
            GC.WaitForPendingFinalizers();
            long before = GC.GetTotalAllocatedBytes(precise: true);
            proc.Refresh();
            var cpu0 = proc.TotalProcessorTime;
            long t0 = Stopwatch.GetTimestamp();
            SpGemmStats s;
            c = mask is null ? SpGemm.Multiply(a, b, options, out s) : SpGemm.MultiplyMasked(a, b, mask, options, keepMaskPattern, out s);
            double sec = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            proc.Refresh();
            bestCpu = Math.Min(bestCpu, (proc.TotalProcessorTime - cpu0).TotalSeconds);
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
            extra = allocated - s.OutputBytes;
            if (sec < best) { best = sec; stats = s; }
        }
        return new SpGemmRun(a.Rows, a.Nnz, stats!.Multiplies, stats.NnzC, best, stats.Threads, options.Sorted, extra, stats, options.OnePass) { CpuSeconds = bestCpu };
    }
}

/// <summary>One timed SpGEMM, printable as text or a JSON line.</summary>
internal sealed record SpGemmRun(int N, long NnzA, long Multiplies, long NnzC, double Seconds, int Threads, bool Sorted, long ExtraBytes, SpGemmStats Stats, bool OnePass)
{
    public double Mflops => 2.0 * Multiplies / Seconds / 1e6;

    /// <summary>Best process CPU time over the runs (all threads): on a shared machine, less noisy than wall time for one thread.</summary>
    public double CpuSeconds { get; init; }

    public string Text(string name) => string.Create(CultureInfo.InvariantCulture,
        $"spgemm {name}: n={N} nnzA={NnzA} mults={Multiplies} nnzC={NnzC} threads={Threads}{(Sorted ? " sorted" : "")} " +
        $"{Seconds * 1e3:F1} ms {Mflops:F0} MFLOPS, cpu {CpuSeconds * 1e3:F1} ms (flops {Stats.FlopSeconds * 1e3:F1} + symbolic {Stats.SymbolicSeconds * 1e3:F1} + numeric {Stats.NumericSeconds * 1e3:F1} + copy {Stats.CopySeconds * 1e3:F1} ms; " +
        $"rows hash/marker/window/dense/copied {Stats.HashRows}/{Stats.MarkerRows}/{Stats.WindowRows}/{Stats.DenseRows}/{Stats.CopiedRows}; extra memory {ExtraBytes / 1024.0:F0} KiB besides the {Stats.OutputBytes / 1048576.0:F1} MiB output)");

    public string Json(string name) => string.Create(CultureInfo.InvariantCulture,
        $"{{\"bench\":\"spgemm\",\"matrix\":\"{name}\",\"n\":{N},\"nnzA\":{NnzA},\"multiplies\":{Multiplies},\"nnzC\":{NnzC}," +
        $"\"threads\":{Threads},\"sorted\":{(Sorted ? "true" : "false")},\"seconds\":{Seconds:G6},\"mflops\":{Mflops:F1},\"cpuSeconds\":{CpuSeconds:G6}," +
        $"\"flopSeconds\":{Stats.FlopSeconds:G4},\"symbolicSeconds\":{Stats.SymbolicSeconds:G4},\"numericSeconds\":{Stats.NumericSeconds:G4},\"copySeconds\":{Stats.CopySeconds:G4},\"onePass\":{(OnePass ? "true" : "false")}," +
        $"\"hashRows\":{Stats.HashRows},\"markerRows\":{Stats.MarkerRows},\"windowRows\":{Stats.WindowRows},\"denseRows\":{Stats.DenseRows},\"copiedRows\":{Stats.CopiedRows}," +
        $"\"outputBytes\":{Stats.OutputBytes},\"extraBytes\":{ExtraBytes},\"workspaceBytes\":{Stats.WorkspaceBytes}}}");
}
