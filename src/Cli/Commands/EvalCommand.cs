using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using NativeFree.Models;
using NativeFree.Models.Layers;
using NativeFree.Models.Spec;
using NativeFree.Models.State;
using NativeFree.Tensors;
using NativeFree.Tensors.IO;

namespace NativeFree.Cli.Commands;

/// <summary>
/// <c>nativefree eval --net SPEC --weights W.safetensors --x X.npy --out Y.npy</c>: a finite network's
/// evaluation-mode outputs for weights from a checkpoint (ours or torch.nn's state dict).
/// </summary>
public sealed class EvalCommand : ICommand
{
    public string Name => "eval";
    public string Summary => "outputs of a finite network (SPEC + safetensors weights, e.g. from PyTorch) on X.npy, eval mode";
    public string Help =>
        "usage: nativefree eval --net \"SPEC\" --weights W.safetensors --x X.npy --out Y.npy\n" +
        "                       [--dtype float32|float64] [--layout nchw|nhwc] [--parametrization P] [--batch-size B] [--json]\n\n" +
        "Builds the network SPEC for the per-example shape of X, loads the state dict W strictly (PyTorch's keys and\n" +
        "shapes: every missing or unexpected key, shape mismatch and NaN/Inf value is reported and nothing is run),\n" +
        "and writes the evaluation-mode outputs (batch norm on running statistics, dropout off) to Y.npy.\n" +
        "  --net              the network; optional when W was written by nativefree init (its SPEC is in the file)\n" +
        "  --weights          safetensors state dict (F16/BF16/F32/F64; num_batches_tracked I64)\n" +
        "  --x                inputs: [N, d], [N, C, L] or [N, C, H, W] (NCHW, PyTorch's layout)\n" +
        "  --out              outputs [N, …], in the compute dtype; written only when everything succeeded\n" +
        "  --dtype            compute (and output) dtype; default: the weights' (float64 for F64 files, else float32)\n" +
        "  --layout           nchw (default) or nhwc: X is channels-last ([N, H, W, C] or [N, L, C]) and is transposed\n" +
        "                     to channels-first before the forward; outputs with spatial axes are transposed back\n" +
        "  " + ModelOptions.ParametrizationHelp.Replace("\n", "\n                     ") + "\n" +
        "  --batch-size       examples per forward pass (default 256); eval mode makes each output independent of\n" +
        "                     the rest of the batch (up to the GEMM's rounding)\n" +
        "  --json             print {n, outputs (values per example), output_shape, seconds (forward only), dtype, out}\n\n" +
        SpecGrammar.Help + "\n\nexample:\n  nativefree eval --net \"conv2d(8, 3, padding=1) batch_norm relu max_pool(2) flatten linear(10)\" --weights w.safetensors --x x.npy --out y.npy";

    public int Run(string[] args, TextWriter stdout)
    {
        var cli = new CliArgs(args, new HashSet<string> { "--json" });
        if (cli.Positional.Count > 0) throw new CliException($"unexpected argument '{cli.Positional[0]}'");
        string? netText = cli.Get("--net");
        string weightsPath = cli.Require("--weights");
        string xPath = cli.Require("--x");
        string outPath = cli.Require("--out");
        string? dtype = ModelOptions.Dtype(cli);
        string layout = cli.Get("--layout") ?? "nchw";
        if (layout is not ("nchw" or "nhwc")) throw new CliException($"--layout must be nchw or nhwc, got '{layout}'");
        string? parametrization = cli.Get("--parametrization");
        int batch = cli.GetInt("--batch-size", 256);
        bool json = cli.Flag("--json");
        cli.RejectUnknown();
        if (batch < 1) throw new CliException($"--batch-size must be ≥ 1, got {batch}");
        if (!File.Exists(weightsPath)) throw new CliException($"--weights: file not found: {weightsPath}");
        if (!File.Exists(xPath)) throw new CliException($"--x: file not found: {xPath}");

        var weights = Safetensors.Load(weightsPath);
        if (netText is null && !weights.Metadata.TryGetValue(StateDict.SpecKey, out netText))
            throw new CliException($"missing required option --net ({weightsPath} records no SPEC)");
        var spec = ModelOptions.ParseNet(netText, parametrization);
        dtype ??= weights.Entries.Any(e => e.Dtype == SafetensorsDtype.F64) ? "float64" : "float32";

        var header = Npy.ReadHeader(xPath);
        var shape = header.Shape;
        if (shape.Length is < 1 or > 4) throw new CliException($"--x: expected [N, d], [N, C, L] or [N, C, H, W], got {ShapeUtil.Format(shape)}");
        bool channelsLast = layout == "nhwc";
        if (channelsLast && shape.Length < 3) throw new CliException($"--layout nhwc needs image or signal inputs ([N, H, W, C] or [N, L, C]); --x is {ShapeUtil.Format(shape)}");

        var request = new Request(spec, weights, xPath, header, outPath, batch, channelsLast);
        var result = dtype == "float64" ? Evaluate<double>(request) : Evaluate<float>(request);
        if (json)
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{{\"n\": {result.N}, \"outputs\": {result.PerExample}, \"output_shape\": [{string.Join(", ", result.Shape)}], \"seconds\": {result.Seconds:G6}, \"dtype\": \"{dtype}\", \"layout\": \"{layout}\", \"out\": {KernelCommand.JsonString(outPath)}}}"));
        else
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"eval: {result.N} examples → {ShapeUtil.Format(result.Shape)} ({dtype}) written to {outPath} in {result.Seconds:F3} s"));
        return 0;
    }

    private sealed record Request(SequentialSpec Spec, SafetensorsFile Weights, string XPath, NpyHeader Header, string OutPath, int Batch, bool ChannelsLast);

    private sealed record Result(int N, long PerExample, int[] Shape, double Seconds);

    private static Result Evaluate<T>(Request r) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var fileShape = r.Header.Shape;
        int n = fileShape[0];
        // Per-example shape as the network sees it: [d] for a vector per row ([N] files are one feature), and
        // channels moved first for channels-last files.
        int[] example = fileShape.Length == 1 ? [1] : fileShape[1..];
        if (r.ChannelsLast) example = [example[^1], .. example[..^1]];
        var outExample = r.Spec.OutputShape(example);   // validates the whole network, naming the layer and shapes
        var module = r.Spec.Build<T>(example, new Tensors.Randomness.Rng(0));   // weights are replaced by the load
        StateDict.Load(module, r.Weights, strict: true);

        // Outputs keep the input's layout when they still have spatial axes.
        bool transposeBack = r.ChannelsLast && outExample.Length >= 2;
        int[] outFileExample = transposeBack ? [.. outExample[1..], outExample[0]] : outExample;
        int[] outShape = [n, .. outFileExample];

        // Fortran-order files cannot be read by rows; they are small in practice (NumPy writes C order), so read whole.
        Tensor<T>? whole = r.Header.FortranOrder ? Npy.Read<T>(r.XPath) : null;
        var full = Path.GetFullPath(r.OutPath);
        var temp = Path.Combine(Path.GetDirectoryName(full)!, "." + Path.GetFileName(full) + "." + Environment.ProcessId + ".tmp");
        double seconds = 0;
        try
        {
            using (var writer = new NpyWriter<T>(temp, outShape))
            {
                for (int start = 0; start < n; start += r.Batch)
                {
                    int rows = Math.Min(r.Batch, n - start);
                    var x = whole is null ? Npy.ReadRows<T>(r.XPath, start, rows) : whole.Slice(0, start, start + rows);
                    x = ToNetworkLayout(x, rows, r.ChannelsLast);
                    CheckFinite(x, start);
                    var sw = Stopwatch.StartNew();
                    var y = module.Predict(x);
                    seconds += sw.Elapsed.TotalSeconds;
                    if (transposeBack) y = y.Permute([0, .. Enumerable.Range(2, outExample.Length - 1), 1]);
                    writer.WriteRows(y);
                }
                writer.Complete();
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
        return new Result(n, outExample.Aggregate(1L, (a, b) => a * b), outShape, seconds);
    }

    private static Tensor<T> ToNetworkLayout<T>(Tensor<T> x, int rows, bool channelsLast) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!channelsLast) return x.Rank == 1 ? x.Reshape(rows, 1) : x;
        // [N, …spatial, C] → [N, C, …spatial]
        int rank = x.Rank;
        return x.Permute([0, rank - 1, .. Enumerable.Range(1, rank - 2)]).Contiguous();
    }

    // A NaN in the input would silently become NaN outputs; name the first one instead.
    private static void CheckFinite<T>(Tensor<T> x, int firstRow) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var s = x.Contiguous().AsSpan();
        int perRow = x.Dim(0) == 0 ? 1 : s.Length / x.Dim(0);
        for (int i = 0; i < s.Length; i++)
            if (!T.IsFinite(s[i]))
                throw new InvalidDataException($"--x: example {firstRow + i / perRow} holds a non-finite value ({s[i]}) at element {i % perRow}.");
    }
}
