using NativeFree.Cli;
using NativeFree.Cli.Commands;
using NativeFree.Kernels;
using NativeFree.Kernels.IO;
using NativeFree.Kernels.Spec;
using NativeFree.Tensors;
using Xunit;

namespace NativeFree.Kernels.Tests;

public class CliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nf-kernel-cli").FullName;
    private static readonly ICommand[] Commands = [new KernelCommand(), new PredictCommand()];
    private const string Mlp = "dense(64, w_std=1.5, b_std=0.05) relu dense(1, w_std=1.5, b_std=0.05)";

    public void Dispose() => Directory.Delete(_dir, true);

    private string Npy(string name, Tensor<double> t)
    {
        var path = Path.Combine(_dir, name);
        KernelNpyInput.Write(path, t.ToArray(), t.ShapeArray);
        return path;
    }

    private (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter(); var e = new StringWriter();
        int code = NativeFree.Cli.Cli.Run(args, Commands, o, e);
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public void KernelCommandWritesTheNtkAndJson()
    {
        var x = TestUtil.RandomInputs(51, 7, 5);
        var x2 = TestUtil.RandomInputs(52, 4, 5);
        string a = Npy("a.npy", x), b = Npy("b.npy", x2), k = Path.Combine(_dir, "k.npy");
        var (code, stdout, err) = Run("kernel", "ntk", "--net", Mlp, "--x1", a, "--x2", b, "--out", k, "--json");
        Assert.True(code == 0, err);
        Assert.Matches("^\\{\"kind\": \"ntk\", \"n1\": 7, \"n2\": 4, \"seconds\": [0-9.eE+-]+,", stdout.Trim());
        var (data, shape) = KernelNpyInput.Read(k);
        Assert.Equal([7, 4], shape);
        var expect = KernelFunction.Compute(NetworkSpec.Parse(Mlp), x, x2).Ntk!.ToArray();
        Assert.Equal(expect, data);
        var (code32, _, _) = Run("kernel", "nngp", "--net", Mlp, "--x1", a, "--out", k, "--dtype", "float32");
        Assert.Equal(0, code32);
        var (d32, s32) = KernelNpyInput.Read(k);
        Assert.Equal([7, 7], s32);
        var e32 = KernelFunction.Compute(NetworkSpec.Parse(Mlp), x).Nngp!.ToArray();
        for (int i = 0; i < e32.Length; i++) Assert.Equal((float)e32[i], (float)d32[i]);
        Assert.Contains("'descr': '<f4'", File.ReadAllText(k)[..80]);
    }

    [Fact]
    public void KernelLargerThanTheMemoryBudgetIsStreamedInTiles()
    {
        var x = TestUtil.RandomInputs(53, 700, 8);
        string a = Npy("big.npy", x), k = Path.Combine(_dir, "big-k.npy");
        // 700² float64 = 3.9 MB, above the 1 MiB budget: only tiles are held in memory.
        var (code, _, err) = Run("kernel", "ntk", "--net", Mlp, "--x1", a, "--out", k, "--memory-mb", "1");
        Assert.True(code == 0, err);
        var (data, shape) = KernelNpyInput.Read(k);
        Assert.Equal([700, 700], shape);
        var expect = KernelFunction.Compute(NetworkSpec.Parse(Mlp), x, null, new KernelOptions { Kinds = KernelKinds.Ntk }).Ntk!.ToArray();
        Assert.Equal(expect, data);
    }

    [Theory]
    [InlineData("dense(64) relu densse(1)", 16, "unknown layer 'densse'")]
    [InlineData("dense(64, w_sd=1.5) relu dense(1)", 11, "unknown argument 'w_sd'")]
    [InlineData("dense(64, w_std=abc)", 17, "expects a finite number")]
    [InlineData("dense(64 relu", 10, "expected ',' or ')'")]
    [InlineData("relu(3)", 6, "takes no arguments")]
    public void BadSpecReportsTheColumn(string spec, int column, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => NetworkSpec.Parse(spec));
        Assert.Contains($"column {column}:", e.Message);
        Assert.Contains(message, e.Message);
        var x = Npy("s.npy", TestUtil.RandomInputs(54, 3, 4));
        var (code, _, err) = Run("kernel", "ntk", "--net", spec, "--x1", x, "--out", Path.Combine(_dir, "o.npy"));
        Assert.NotEqual(0, code);
        Assert.Contains($"column {column}", err);
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public void SpecParsesEveryLayer()
    {
        var net = NetworkSpec.Parse("conv(8, 3x3, stride=2, padding=valid, w_std=1.4, b_std=none) relu avg_pool(2) " +
            "conv(8, 1) residual(gelu conv(8, 3)) fan_in_concat(identity | erf(1, 0.5, 0) conv(4, 1)) conv(8, 1) " +
            "abs conv(8, 3, parametrization=standard) leaky_relu(0.1) global_avg_pool dropout(keep=0.9) dense(3) layer_norm(elementwise_affine=false) sin(a=1, b=2) dense(2) rbf(0.5) " +
            "dense(2) sign dense(2) monomial(2) dense(2) rectified_monomial(2) dense(2) abrelu(-0.5, 1) dense(2) cos dense(1)");
        Assert.Equal(28, net.Layers.Count);
        var x = TestUtil.RandomImages(55, 2, 9, 9, 3);
        var k = KernelFunction.Compute(net, x);
        Assert.All(k.Ntk!.ToArray(), v => Assert.True(double.IsFinite(v)));
    }

    [Fact]
    public void BadInputsGiveClearErrorsWithoutStackTraces()
    {
        var x = TestUtil.RandomInputs(56, 4, 5);
        string a = Npy("x.npy", x), o = Path.Combine(_dir, "o.npy");
        var (c1, _, e1) = Run("kernel", "ntk", "--net", "dense(8) relu relu dense(1)", "--x1", a, "--out", o);
        Assert.NotEqual(0, c1); Assert.Contains("not Gaussian", e1); Assert.DoesNotContain("   at ", e1);
        var (c1b, _, e1b) = Run("kernel", "ntk", "--net", "relu dense(1)", "--x1", a, "--out", o);
        Assert.NotEqual(0, c1b); Assert.Contains("not Gaussian", e1b);
        string b = Npy("y.npy", TestUtil.RandomInputs(57, 3, 6));
        var (c2, _, e2) = Run("kernel", "ntk", "--net", Mlp, "--x1", a, "--x2", b, "--out", o);
        Assert.NotEqual(0, c2); Assert.Contains("different feature shapes", e2);
        var bad = TestUtil.RandomInputs(58, 3, 5); bad[1, 2] = double.NaN;
        var (c3, _, e3) = Run("kernel", "ntk", "--net", Mlp, "--x1", Npy("nan.npy", bad), "--out", o);
        Assert.NotEqual(0, c3); Assert.Contains("non-finite", e3);
        File.WriteAllBytes(Path.Combine(_dir, "junk.npy"), [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, 255, 255, 1, 2]);
        var (c4, _, e4) = Run("kernel", "ntk", "--net", Mlp, "--x1", Path.Combine(_dir, "junk.npy"), "--out", o);
        Assert.NotEqual(0, c4); Assert.Contains("byte", e4); Assert.DoesNotContain("   at ", e4);
        var (c5, _, e5) = Run("kernel", "ntk", "--net", "conv(4, 3) relu dense(1)", "--x1", a, "--out", o);
        Assert.NotEqual(0, c5); Assert.Contains("spatial", e5);
        var (c6, _, e6) = Run("kernel", "ntk", "--net", "conv(4, 3) relu dense(1)", "--x1", Npy("img.npy", TestUtil.RandomImages(59, 2, 4, 4, 2)), "--out", o);
        Assert.NotEqual(0, c6); Assert.Contains("flatten or global_avg_pool", e6);
        var (c7, _, e7) = Run("kernel", "ntk", "--net", "conv(4, 3) relu max_pool(2) flatten dense(1)", "--x1", Npy("img2.npy", TestUtil.RandomImages(59, 2, 4, 4, 2)), "--out", o);
        Assert.Equal(2, c7); Assert.Contains("max_pool(2)", e7); Assert.Contains("empirical NTK", e7);
        var (c8, _, e8) = Run("kernel", "ntk", "--net", Mlp, "--x1", a, "--out", o, "--layout", "nwhc");
        Assert.Equal(2, c8); Assert.Contains("--layout", e8);
        Assert.False(File.Exists(o));
    }

    /// <summary>--layout nhwc reads neural-tangents' channels-last arrays: the same images either way give the same kernel file.</summary>
    [Fact]
    public void KernelCommandReadsBothLayouts()
    {
        const string net = "conv(4, 3, w_std=1.4, b_std=0.1) relu avg_pool(2) global_avg_pool dense(1)";
        var nhwc = TestUtil.RandomInputs(62, 3, 4, 6, 2);
        string kc = Path.Combine(_dir, "kc.npy"), kl = Path.Combine(_dir, "kl.npy");
        var (c1, _, e1) = Run("kernel", "ntk", "--net", net, "--x1", Npy("nchw.npy", KernelFunction.ChannelsFirst(nhwc)), "--out", kc);
        Assert.True(c1 == 0, e1);
        var (c2, _, e2) = Run("kernel", "ntk", "--net", net, "--x1", Npy("nhwc.npy", nhwc), "--out", kl, "--layout", "nhwc");
        Assert.True(c2 == 0, e2);
        Assert.Equal(KernelNpyInput.Read(kc).Data, KernelNpyInput.Read(kl).Data);
        // The same file read with the other layout is other images: a different kernel.
        var (c3, _, _) = Run("kernel", "ntk", "--net", net, "--x1", Npy("nhwc2.npy", nhwc), "--out", kc);
        Assert.Equal(0, c3);
        Assert.NotEqual(KernelNpyInput.Read(kc).Data, KernelNpyInput.Read(kl).Data);
    }

    [Fact]
    public void PredictInterpolatesAndStudentTMatchesNngpMean()
    {
        var x = TestUtil.RandomInputs(60, 9, 4);
        var y = TestUtil.RandomInputs(61, 9, 2);
        string xa = Npy("xt.npy", x), ya = Npy("yt.npy", y), m = Path.Combine(_dir, "m.npy"), v = Path.Combine(_dir, "v.npy");
        foreach (var kind in new[] { "ntk", "nngp" })
        {
            var (code, stdout, err) = Run("predict", "--net", Mlp, "--x-train", xa, "--y-train", ya, "--x-test", xa, "--kind", kind, "--out", m, "--var", v, "--json");
            Assert.True(code == 0, err);
            Assert.Contains($"\"kind\": \"{kind}\", \"n1\": 9, \"n2\": 9, \"seconds\": ", stdout);
            var (mean, shape) = KernelNpyInput.Read(m);
            Assert.Equal([9, 2], shape);
            var ya2 = y.ToArray();
            for (int i = 0; i < mean.Length; i++) Assert.Equal(ya2[i], mean[i], 1e-6);
            var (var_, _) = KernelNpyInput.Read(v);
            Assert.All(var_, s => Assert.True(Math.Abs(s) < 1e-6)); // no uncertainty left at the training points
        }
        var xs = Npy("xs.npy", TestUtil.RandomInputs(62, 3, 4));
        var (c1, _, e1) = Run("predict", "--net", Mlp, "--x-train", xa, "--y-train", ya, "--x-test", xs, "--kind", "nngp", "--out", m);
        Assert.True(c1 == 0, e1);
        var nngpMean = KernelNpyInput.Read(m).Data;
        var (c2, _, e2) = Run("predict", "--net", Mlp, "--x-train", xa, "--y-train", ya, "--x-test", xs, "--kind", "student-t", "--out", m, "--var", v);
        Assert.True(c2 == 0, e2);
        Assert.Equal(nngpMean, KernelNpyInput.Read(m).Data);
        Assert.All(KernelNpyInput.Read(v).Data, s => Assert.True(s > 0));
        var (c3, _, e3) = Run("predict", "--net", Mlp, "--x-train", xa, "--y-train", ya, "--x-test", xs, "--kind", "ntk", "--t", "2.5", "--out", m);
        Assert.True(c3 == 0, e3);
    }

    [Fact]
    public void PredictOnDuplicateInputsSuggestsDiagReg()
    {
        var x = TestUtil.RandomInputs(63, 5, 4);
        for (int c = 0; c < 4; c++) x[4, c] = x[3, c];
        string xa = Npy("dx.npy", x), ya = Npy("dy.npy", TestUtil.RandomInputs(64, 5, 1)), m = Path.Combine(_dir, "dm.npy");
        var (code, _, err) = Run("predict", "--net", Mlp, "--x-train", xa, "--y-train", ya, "--x-test", xa, "--kind", "nngp", "--out", m);
        Assert.NotEqual(0, code);
        Assert.Contains("diag_reg", err);
        Assert.DoesNotContain("   at ", err);
        var (ok, _, err2) = Run("predict", "--net", Mlp, "--x-train", xa, "--y-train", ya, "--x-test", xa, "--kind", "nngp", "--diag-reg", "1e-4", "--out", m);
        Assert.True(ok == 0, err2);
        Assert.All(KernelNpyInput.Read(m).Data, s => Assert.True(double.IsFinite(s)));
    }
}
