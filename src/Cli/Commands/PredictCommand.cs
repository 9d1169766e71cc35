using System.Diagnostics;
using System.Globalization;
using NativeFree.Kernels;
using NativeFree.Kernels.IO;
using NativeFree.Kernels.Prediction;
using NativeFree.Kernels.Spec;
using NativeFree.Tensors;

namespace NativeFree.Cli.Commands;

/// <summary><c>nativefree predict</c>: infinite-width network predictions (NTK/NNGP gradient descent, GP, Student-t).</summary>
public sealed class PredictCommand : ICommand
{
    public string Name => "predict";
    public string Summary => "predictions of an infinitely wide network: ntk, nngp (any training time) or student-t";
    public string Help =>
        "usage: nativefree predict --net \"SPEC\" --x-train A.npy --y-train B.npy --x-test C.npy --kind ntk|nngp|student-t\n" +
        "                          [--t T] [--diag-reg R] [--diag-reg-absolute] [--alpha A] [--beta B]\n" +
        "                          --out mean.npy [--var var.npy] [--dtype float64|float32] [--layout nchw|nhwc] [--json]\n\n" +
        "Inputs are [N, d], or [N, C, L] / [N, C, H, W] (--layout nhwc: channels last, as neural-tangents).\n" +
        "  ntk        mean of networks trained by gradient flow on MSE (all layers), at time T (default: inf);\n" +
        "             --var gives the variance over initialisations at the same T (Lee et al. 2019): the prior\n" +
        "             NNGP variance at T = 0, the NTK-GP variance at T = inf\n" +
        "  nngp       the same when only the last layer is trained; at T = inf the GP posterior mean and variance\n" +
        "  student-t  inverse-gamma(alpha, beta) prior (default 2, 2) on the last-layer variance: Student-t process\n" +
        "             mean (= NNGP mean) and variance scale·ν/(ν−2)\n" +
        "T is gradient-flow time with learning rate 1 on the loss 1/(2N)·Σ‖f(x) − y‖² (outputs relax as e^{−λT/N}).\n" +
        "--diag-reg adds R × mean diagonal (or R itself with --diag-reg-absolute) to the train kernel; use it when the\n" +
        "train kernel is not positive definite (duplicate inputs). y-train is [N] or [N, k] (one-hot for classes).\n" +
        "--json prints {kind, n1 (test), n2 (train), seconds} (seconds: compute only).\n\n" + NetworkSpec.Grammar;

    public int Run(string[] args, TextWriter stdout)
    {
        var cli = new CliArgs(args, new HashSet<string> { "--json", "--diag-reg-absolute" });
        if (cli.Positional.Count > 0) throw new CliException($"unexpected argument '{cli.Positional[0]}'");
        var net = KernelCommand.Transform(NetworkSpec.Parse(cli.Require("--net")));
        bool channelsLast = KernelCommand.ParseLayout(cli);
        string kind = cli.Require("--kind");
        if (kind is not ("ntk" or "nngp" or "student-t")) throw new CliException($"--kind must be ntk, nngp or student-t, got '{kind}'");
        var xTrain = KernelCommand.LoadInputs(cli.Require("--x-train"), "--x-train", channelsLast);
        var xTest = KernelCommand.LoadInputs(cli.Require("--x-test"), "--x-test", channelsLast);
        string yPath = cli.Require("--y-train");
        if (!File.Exists(yPath)) throw new CliException($"--y-train: file not found: {yPath}");
        var (yData, yShape) = KernelNpyInput.Read(yPath);
        if (yShape.Length is < 1 or > 2) throw new CliException($"--y-train must be [N] or [N, k], got ({string.Join(", ", yShape)})");
        var y = Tensor.FromArray(yData, yShape.Length == 1 ? [yShape[0], 1] : yShape);
        if (y.Dim(0) != xTrain.Dim(0)) throw new CliException($"--y-train has {y.Dim(0)} rows but --x-train has {xTrain.Dim(0)}");
        string tText = cli.Get("--t") ?? "inf";
        double t = tText is "inf" or "infinity" ? double.PositiveInfinity
            : double.TryParse(tText, NumberStyles.Float, CultureInfo.InvariantCulture, out double tv) && tv >= 0 ? tv
            : throw new CliException($"--t must be a time ≥ 0 or inf, got '{tText}'");
        double reg = cli.GetDouble("--diag-reg", 0);
        var mode = cli.Flag("--diag-reg-absolute") ? DiagonalRegularization.Absolute : DiagonalRegularization.Relative;
        double alpha = cli.GetDouble("--alpha", 2), beta = cli.GetDouble("--beta", 2);
        string outPath = cli.Require("--out");
        string? varPath = cli.Get("--var");
        string dtype = cli.Get("--dtype") ?? "float64";
        if (dtype is not ("float64" or "float32")) throw new CliException($"--dtype must be float64 or float32, got '{dtype}'");
        bool json = cli.Flag("--json");
        cli.RejectUnknown();
        if (kind == "student-t" && !double.IsPositiveInfinity(t)) throw new CliException("--t applies to ntk and nngp only (the Student-t process is a posterior, t = inf)");

        var sw = Stopwatch.StartNew();
        var train = KernelFunction.Compute(net, xTrain);
        var cross = KernelFunction.Compute(net, xTest, xTrain);
        Tensor<double>? testTest = varPath is null && kind != "student-t" ? null
            : KernelFunction.Compute(net, xTest, null, new KernelOptions { Kinds = KernelKinds.Nngp }).Nngp;
        Tensor<double> mean;
        double[]? variance = null;
        switch (kind)
        {
            case "student-t":
            {
                var st = StudentTProcess.Fit(train.Nngp!, y, cross.Nngp!, testTest!, alpha, beta, reg, mode);
                mean = st.Mean;
                variance = st.Variance();
                break;
            }
            case "nngp" when double.IsPositiveInfinity(t):
            {
                var r = new KernelRegression(train.Nngp!, y, reg, mode);
                mean = r.Mean(cross.Nngp!);
                if (varPath is not null) variance = Diagonal(r.Covariance(cross.Nngp!, testTest!));
                break;
            }
            case "ntk" when double.IsPositiveInfinity(t) && varPath is not null:
            {
                var (m, cov) = GpInference.Ntk(train.Nngp!, train.Ntk!, y, cross.Nngp!, cross.Ntk!, testTest!, reg, mode);
                mean = m; variance = Diagonal(cov);
                break;
            }
            case "nngp" when varPath is not null:
            {
                // Finite t: only the last layer trained, the same eigendecomposition gives mean and covariance.
                var gd = new GradientDescentMse(train.Nngp!, y, 1, reg, mode);
                mean = gd.Mean(cross.Nngp!, t);
                variance = Diagonal(gd.NngpCovariance(cross.Nngp!, testTest!, t));
                break;
            }
            case "ntk" when varPath is not null:
            {
                var gd = new GradientDescentMse(train.Ntk!, y, 1, reg, mode);
                mean = gd.Mean(cross.Ntk!, t);
                variance = Diagonal(gd.NtkCovariance(cross.Ntk!, train.Nngp!, cross.Nngp!, testTest!, t));
                break;
            }
            default:
            {
                var k = kind == "ntk" ? (train.Ntk!, cross.Ntk!) : (train.Nngp!, cross.Nngp!);
                mean = double.IsPositiveInfinity(t) ? new KernelRegression(k.Item1, y, reg, mode).Mean(k.Item2) : new GradientDescentMse(k.Item1, y, 1, reg, mode).Mean(k.Item2, t);
                break;
            }
        }
        double seconds = sw.Elapsed.TotalSeconds;
        bool f32 = dtype == "float32";
        int[] meanShape = yShape.Length == 1 ? [mean.Dim(0)] : [mean.Dim(0), mean.Dim(1)];
        KernelNpyInput.Write(outPath, mean.ToArray(), meanShape, f32);
        if (varPath is not null && variance is not null) KernelNpyInput.Write(varPath, variance, [variance.Length], f32);
        if (json)
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{{\"kind\": \"{kind}\", \"n1\": {xTest.Dim(0)}, \"n2\": {xTrain.Dim(0)}, \"seconds\": {seconds:G6}, \"t\": {(double.IsPositiveInfinity(t) ? "\"inf\"" : t.ToString("G6", CultureInfo.InvariantCulture))}, \"out\": {KernelCommand.JsonString(outPath)}}}"));
        else
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{kind} predictions for {xTest.Dim(0)} test points ({xTrain.Dim(0)} train) written to {outPath} in {seconds:F3} s"));
        return 0;
    }

    private static double[] Diagonal(Tensor<double> m) => Enumerable.Range(0, m.Dim(0)).Select(i => m[i, i]).ToArray();
}
