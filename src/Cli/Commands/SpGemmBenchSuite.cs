using System.Globalization;
using NativeFree.Tensors.Sparse;

namespace NativeFree.Cli.Commands;

/// <summary>
/// <c>nativefree bench spgemm</c>: A·A on generated matrices (R-MAT with Graph500 parameters, 2-D and
/// 3-D Laplacians) on 1 and 2 threads, in MFLOPS = 2·multiplies/second (SciPy anchor's metric).
/// </summary>
public sealed class SpGemmBenchSuite : IBenchSuite
{
    public string Name => "spgemm";
    public string Summary => "sparse A·A (R-MAT, Laplacians), 1 and N threads, MFLOPS";
    public string Help =>
        "nativefree bench spgemm [--full] [--threads N] [--repeat R] [--json] [--write-inputs DIR]\n" +
        "quick: R-MAT scale 14 (edge factor 16) and a 2-D Laplacian 256², on 1 and 2 threads.\n" +
        "--full adds R-MAT 16, 2-D Laplacian 1024² and 3-D Laplacian 64³ (the SciPy comparison set).\n" +
        "--write-inputs DIR writes those matrices as .mtx for ../shared/anchors/spgemm_scipy.py and exits.";

    public IEnumerable<BenchRow> Quick() => Rows(full: false, maxThreads: 2, repeat: 2);

    public int Run(string[] args, TextWriter stdout)
    {
        var cli = new CliArgs(args, new HashSet<string> { "--json", "--full" });
        bool json = cli.Flag("--json"), full = cli.Flag("--full");
        int threads = cli.GetInt("--threads", 2), repeat = cli.GetInt("--repeat", 3);
        string? dir = cli.Get("--write-inputs");
        cli.RejectUnknown();
        if (threads < 1 || repeat < 1) throw new CliException("--threads and --repeat must be at least 1");
        if (dir is not null)
        {
            Directory.CreateDirectory(dir);
            foreach (var (name, make) in Inputs(full: true))
            {
                string path = Path.Combine(dir, name + ".mtx");
                MatrixMarket.Write(path, make(), MatrixMarketField.Integer);
                stdout.WriteLine($"wrote {path}");
            }
            return 0;
        }
        foreach (var r in Rows(full, threads, repeat))
            stdout.WriteLine(json ? r.Json : $"{r.Name,-36} {r.Value,10:F0} {r.Unit}  {r.Note}");
        return 0;
    }

    private static IEnumerable<(string Name, Func<CsrMatrix<double>> Make)> Inputs(bool full)
    {
        yield return ("rmat14", () => SparseGenerators.Rmat<double>(14, 16, seed: 1));
        if (full) yield return ("rmat16", () => SparseGenerators.Rmat<double>(16, 16, seed: 1));
        yield return ("lap2d_256", () => SparseGenerators.Laplacian2D<double>(256, 256));
        if (full)
        {
            yield return ("lap2d_1024", () => SparseGenerators.Laplacian2D<double>(1024, 1024));
            yield return ("lap3d_64", () => SparseGenerators.Laplacian3D<double>(64, 64, 64));
        }
    }

    private static IEnumerable<BenchRow> Rows(bool full, int maxThreads, int repeat)
    {
        foreach (var (name, make) in Inputs(full))
        {
            var a = make();
            var threadCounts = maxThreads == 1 ? new[] { 1 } : new[] { 1, maxThreads };
            foreach (int t in threadCounts)
            {
                var run = SpGemmCommand.Measure(a, a, new SpGemmOptions { Threads = t }, repeat, out _);
                string rowName = $"spgemm {name} A·A {t}T";
                string note = string.Create(CultureInfo.InvariantCulture,
                    $"n={run.N} nnzA={run.NnzA} mults={run.Multiplies} nnzC={run.NnzC} {run.Seconds * 1e3:F1} ms, extra {run.ExtraBytes / 1024.0:F0} KiB");
                yield return new BenchRow(rowName, run.Mflops, "MFLOPS", note, run.Json(name));
            }
        }
    }
}
