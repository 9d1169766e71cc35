using NativeFree.Cli;
using NativeFree.Cli.Commands;
using NativeFree.Kernels.IO;
using NativeFree.Tensors;
using Xunit;

namespace NativeFree.Kernels.Tests;

/// <summary>
/// The bad-input list, each through the real <c>nativefree</c> dispatcher for both commands: the exit code
/// (2 for usage errors, 1 for invalid data), a message naming the problem, no stack trace, and no output file.
/// </summary>
public class CliBadInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nf-cli-bad").FullName;
    private static readonly ICommand[] Commands = [new KernelCommand(), new PredictCommand()];
    private const string Mlp = "dense(32, w_std=1.5, b_std=0.05) relu dense(1, w_std=1.5, b_std=0.05)";

    public void Dispose() => Directory.Delete(_dir, true);

    private string Npy(string name, Tensor<double> t)
    {
        var path = Path.Combine(_dir, name);
        KernelNpyInput.Write(path, t.ToArray(), t.ShapeArray);
        return path;
    }

    private string Out => Path.Combine(_dir, "out.npy");
    private string Var => Path.Combine(_dir, "var.npy");

    private void Fails(int expectedCode, string[] messages, params string[] args)
    {
        if (File.Exists(Out)) File.Delete(Out);
        if (File.Exists(Var)) File.Delete(Var);
        var o = new StringWriter(); var e = new StringWriter();
        int code = NativeFree.Cli.Cli.Run(args, Commands, o, e);
        string err = e.ToString();
        Assert.True(code == expectedCode, $"exit code {code} (expected {expectedCode}) for {string.Join(' ', args)}: {err}");
        foreach (var m in messages) Assert.Contains(m, err);
        Assert.DoesNotContain("   at ", err);
        Assert.StartsWith($"nativefree {args[0]}: ", err);
        Assert.False(File.Exists(Out), "no output may be written on an error");
        Assert.False(File.Exists(Var), "no variance may be written on an error");
    }

    private (string X, string Xs, string Y) Data(int features = 4)
    {
        return (Npy("x.npy", TestUtil.RandomInputs(301, 9, 4)), Npy("xs.npy", TestUtil.RandomInputs(302, 3, features)), Npy("y.npy", TestUtil.RandomInputs(303, 9, 1)));
    }

    private string[] Predict(string net, string x, string y, string xs, params string[] more)
        => ["predict", "--net", net, "--x-train", x, "--y-train", y, "--x-test", xs, "--out", Out, .. more];

    [Theory]
    [InlineData("dense(8) relu erf dense(1)")]
    [InlineData("dense(8) gelu dense(8) relu sin dense(1)")]
    [InlineData("erf dense(1)")]
    public void NonlinearityWithoutAGaussianInput(string net)
    {
        var (x, xs, y) = Data();
        Fails(1, ["not Gaussian", "dense"], Predict(net, x, y, xs, "--kind", "ntk"));
        Fails(1, ["not Gaussian"], "kernel", "nngp", "--net", net, "--x1", x, "--out", Out);
    }

    [Fact]
    public void MismatchedFeatureSizes()
    {
        var (x, xs, y) = Data(features: 5);
        Fails(1, ["feature shapes", "4", "5"], Predict(Mlp, x, y, xs, "--kind", "nngp"));
        Fails(1, ["feature shapes"], Predict(Mlp, x, y, xs, "--kind", "ntk", "--t", "3", "--var", Var));
        var y8 = Npy("y8.npy", TestUtil.RandomInputs(304, 8, 1));
        Fails(2, ["--y-train has 8 rows", "--x-train has 9"], Predict(Mlp, x, y8, Data().Xs, "--kind", "nngp"));
    }

    [Theory]
    [InlineData("x-train", double.NaN)]
    [InlineData("x-test", double.PositiveInfinity)]
    [InlineData("y-train", double.NaN)]
    [InlineData("x1", double.NegativeInfinity)]
    public void NonFiniteInputs(string which, double bad)
    {
        var (x, xs, y) = Data();
        var t = TestUtil.RandomInputs(305, which == "y-train" ? 9 : which == "x-test" ? 3 : 9, which == "y-train" ? 1 : 4);
        t[1, 0] = bad;
        string b = Npy("bad.npy", t);
        if (which == "x1") { Fails(1, ["non-finite"], "kernel", "ntk", "--net", Mlp, "--x1", x, "--x2", b, "--out", Out); return; }
        foreach (var kind in new[] { "ntk", "nngp", "student-t" })
            Fails(1, ["non-finite"], Predict(Mlp, which == "x-train" ? b : x, which == "y-train" ? b : y, which == "x-test" ? b : xs, "--kind", kind, "--var", Var));
    }

    [Fact]
    public void NonPositiveDefiniteTrainKernelSuggestsDiagReg()
    {
        var xt = TestUtil.RandomInputs(306, 6, 4);
        for (int c = 0; c < 4; c++) xt[5, c] = xt[2, c]; // duplicate input: the train kernel is singular
        string x = Npy("dup.npy", xt), y = Npy("ydup.npy", TestUtil.RandomInputs(307, 6, 1)), xs = Data().Xs;
        foreach (var kind in new[] { "ntk", "nngp", "student-t" })
        {
            Fails(1, ["not positive", "diag_reg"], Predict(Mlp, x, y, xs, "--kind", kind));
            Fails(1, ["diag_reg"], Predict(Mlp, x, y, xs, "--kind", kind, "--var", Var));
        }
        // At finite t gradient descent needs only a positive semi-definite kernel: finite mean and variance, no error.
        foreach (var kind in new[] { "ntk", "nngp" })
        {
            var o = new StringWriter(); var e = new StringWriter();
            int code = NativeFree.Cli.Cli.Run(Predict(Mlp, x, y, xs, "--kind", kind, "--t", "10", "--var", Var), Commands, o, e);
            Assert.True(code == 0, e.ToString());
            Assert.All(KernelNpyInput.Read(Out).Data, v => Assert.True(double.IsFinite(v)));
            Assert.All(KernelNpyInput.Read(Var).Data, v => Assert.True(double.IsFinite(v) && v >= -1e-9));
        }
    }

    [Theory]
    [InlineData("dense(64) relu densse(1)", 16, "unknown layer 'densse'")]
    [InlineData("dense(64, w_sd=1.5) relu dense(1)", 11, "unknown argument 'w_sd'")]
    [InlineData("dense(64) relu dense(1) rectified_monomial(200)", 44, "degree must be in 0..128")]
    public void BadSpecNamesTheColumnInPredict(string net, int column, string message)
    {
        var (x, xs, y) = Data();
        Fails(1, [$"column {column}:", message], Predict(net, x, y, xs, "--kind", "ntk"));
    }

    [Fact]
    public void UnknownOptionsAndBadValuesAreUsageErrors()
    {
        var (x, xs, y) = Data();
        Fails(2, ["unknown option --diag-regg"], Predict(Mlp, x, y, xs, "--kind", "ntk", "--diag-regg", "1e-3"));
        Fails(2, ["unknown option --x3"], "kernel", "ntk", "--net", Mlp, "--x1", x, "--x3", xs, "--out", Out);
        Fails(2, ["--t must be"], Predict(Mlp, x, y, xs, "--kind", "ntk", "--t", "-1"));
        Fails(2, ["--kind must be"], Predict(Mlp, x, y, xs, "--kind", "ntkk"));
        Fails(2, ["--t applies to ntk and nngp"], Predict(Mlp, x, y, xs, "--kind", "student-t", "--t", "2"));
    }
}
