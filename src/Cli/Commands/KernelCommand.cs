using System.Diagnostics;
using System.Globalization;
using NativeFree.Kernels;
using NativeFree.Kernels.IO;
using NativeFree.Kernels.Spec;
using NativeFree.Tensors;

namespace NativeFree.Cli.Commands;

/// <summary><c>nativefree kernel ntk|nngp --net SPEC --x1 A.npy [--x2 B.npy] --out K.npy</c>: infinite-width kernels to .npy.</summary>
public sealed class KernelCommand : ICommand
{
    public string Name => "kernel";
    public string Summary => "infinite-width NTK/NNGP of a network description, streamed to .npy";
    public string Help =>
        "usage: nativefree kernel ntk|nngp --net \"SPEC\" --x1 A.npy [--x2 B.npy] --out K.npy\n" +
        "                         [--dtype float64|float32] [--layout nchw|nhwc] [--memory-mb M] [--threads T] [--json]\n\n" +
        "Computes the analytic kernel of the infinitely wide network SPEC between the rows of x1 ([N, d], [N, C, L]\n" +
        "or [N, C, H, W] as the finite network reads them; --layout nhwc: [N, L, C] or [N, H, W, C], neural-tangents'\n" +
        "channels last) and x2 (default: x1, symmetric, one triangle computed). The matrix is computed\n" +
        "in float64 in tiles under the memory budget (default 1024 MiB) and written tile by tile to K.npy, so it may\n" +
        "exceed memory; --dtype float32 halves the file. --json prints {kind, n1, n2, seconds, …} (seconds: compute only).\n\n" +
        NetworkSpec.Grammar + "\n\nexample:\n  nativefree kernel ntk --net \"dense(512, w_std=1.5, b_std=0.05) relu dense(1, w_std=1.5, b_std=0.05)\" --x1 x.npy --out k.npy";

    public int Run(string[] args, TextWriter stdout)
    {
        var cli = new CliArgs(args, new HashSet<string> { "--json" });
        if (cli.Positional.Count != 1 || cli.Positional[0] is not ("ntk" or "nngp"))
            throw new CliException("expected the kernel kind: nativefree kernel ntk|nngp --net SPEC --x1 A.npy --out K.npy");
        string kind = cli.Positional[0];
        var spec = NetworkSpec.Parse(cli.Require("--net"));
        bool channelsLast = ParseLayout(cli);
        var net = Transform(spec);
        string x1Path = cli.Require("--x1");
        string? x2Path = cli.Get("--x2");
        string outPath = cli.Require("--out");
        string dtype = cli.Get("--dtype") ?? "float64";
        if (dtype is not ("float64" or "float32")) throw new CliException($"--dtype must be float64 or float32, got '{dtype}'");
        int memoryMb = cli.GetInt("--memory-mb", 1024);
        int threads = cli.GetInt("--threads", 0);
        bool json = cli.Flag("--json");
        cli.RejectUnknown();
        if (memoryMb < 1) throw new CliException($"--memory-mb must be ≥ 1, got {memoryMb}");

        var x1 = LoadInputs(x1Path, "--x1", channelsLast);
        var x2 = x2Path is null ? null : LoadInputs(x2Path, "--x2", channelsLast);
        var options = new KernelOptions { MemoryBudgetBytes = (long)memoryMb << 20, Threads = threads > 0 ? threads : null };
        var sw = Stopwatch.StartNew();
        var (n1, n2) = KernelFunction.ComputeToNpy(net, x1, x2, kind == "nngp" ? outPath : null, kind == "ntk" ? outPath : null, dtype == "float32", options);
        double seconds = sw.Elapsed.TotalSeconds;
        if (json)
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{{\"kind\": \"{kind}\", \"n1\": {n1}, \"n2\": {n2}, \"seconds\": {seconds:G6}, \"dtype\": \"{dtype}\", \"symmetric\": {(x2 is null ? "true" : "false")}, \"out\": {JsonString(outPath)}}}"));
        else
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{kind} {n1}×{n2} ({dtype}) written to {outPath} in {seconds:F3} s"));
        return 0;
    }

    /// <summary>--layout: false for nchw (the default, the finite network's layout), true for nhwc.</summary>
    internal static bool ParseLayout(CliArgs cli)
    {
        string layout = cli.Get("--layout") ?? "nchw";
        return layout switch
        {
            "nchw" => false,
            "nhwc" => true,
            _ => throw new CliException($"--layout must be nchw or nhwc, got '{layout}'"),
        };
    }

    /// <summary>The kernel transform of a parsed SPEC; a layer without a kernel is a usage error naming it.</summary>
    internal static ILayer Transform(Models.Spec.LayerSpec spec)
    {
        try { return KernelLayers.From(spec); }
        catch (NotSupportedException e) { throw new CliException("--net: " + e.Message); }
    }

    /// <summary>Inputs as the kernel transforms read them (channels last); NCHW files are transposed unless <paramref name="channelsLast"/>.</summary>
    internal static Tensor<double> LoadInputs(string path, string option, bool channelsLast)
    {
        if (!File.Exists(path)) throw new CliException($"{option}: file not found: {path}");
        var (data, shape) = KernelNpyInput.Read(path);
        if (shape.Length is < 1 or > 4)
            throw new CliException($"{option}: expected an array of shape [N, d], {(channelsLast ? "[N, L, C] or [N, H, W, C]" : "[N, C, L] or [N, C, H, W]")}, got ({string.Join(", ", shape)})");
        if (shape.Length == 1) shape = [shape[0], 1];
        var x = Tensor.FromArray(data, shape);
        return channelsLast ? x : KernelFunction.ChannelsLast(x, option);
    }

    internal static string JsonString(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
