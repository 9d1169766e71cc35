using NativeFree.Autograd;
using NativeFree.Models;
using NativeFree.Models.Init;
using NativeFree.Models.Layers;
using NativeFree.Models.Spec;
using NativeFree.Models.State;
using NativeFree.Tensors;
using NativeFree.Tensors.Randomness;
using Xunit;

namespace NativeFree.Models.Tests;

public class CoreTests
{
    [Fact]
    public void SequentialKeysFollowTorchNumbering()
    {
        var net = SpecParser.Parse("linear(8) relu linear(3, bias=false) tanh linear(2)").Build<float>([5], new Rng(1));
        var keys = net.NamedParameters().Select(p => p.Key).ToArray();
        Assert.Equal(["0.weight", "0.bias", "2.weight", "4.weight", "4.bias"], keys);
        var shapes = net.Parameters().Select(p => ShapeUtil.Format(p.Value.Shape)).ToArray();
        Assert.Equal(["[8, 5]", "[8]", "[3, 8]", "[2, 3]", "[2]"], shapes);
    }

    [Fact]
    public void LinearForwardIsXWtPlusB()
    {
        var net = (Linear<double>)new LinearSpec(3).Build<double>([4], new Rng(2));
        var x = new Rng(3).Normal(0.0, 1.0, 5, 4);
        var y = net.Predict(x);
        var w = net.Weight.Value; var b = net.Bias!.Value;
        for (int n = 0; n < 5; n++)
            for (int o = 0; o < 3; o++)
            {
                double s = b[o];
                for (int i = 0; i < 4; i++) s += x[n, i] * w[o, i];
                Assert.Equal(s, y[n, o], 1e-12);
            }
    }

    [Fact]
    public void NtkLinearScalesByWStdOverSqrtFanIn()
    {
        var spec = (LinearSpec)SpecParser.Parse("dense(3, w_std=2, b_std=0.5)").Layers[0];
        var net = (Linear<double>)spec.Build<double>([16], new Rng(4));
        Assert.Equal(2 / 4.0, net.Weight.Multiplier, 15);
        Assert.Equal(0.5, net.Bias!.Multiplier, 15);
        var x = new Rng(5).Normal(0.0, 1.0, 2, 16);
        var y = net.Predict(x);
        var plain = Tensor.Add(Tensor.Mul(Tensor.MatMul(x, net.Weight.Value.Mt), 0.5), Tensor.Mul(net.Bias.Value, 0.5));
        for (int i = 0; i < y.Length; i++) Assert.Equal(plain.AsSpan()[i], y.AsSpan()[i], 12);
    }

    [Fact]
    public void SameSeedSameWeightsAndResetMatchesBuild()
    {
        var spec = SpecParser.Parse("linear(16) relu linear(4)");
        var a = spec.Build<float>([7], new Rng(9));
        var b = spec.Build<float>([7], new Rng(9));
        b.ResetParameters(new Rng(10));
        Assert.NotEqual(a.Parameters()[0].Value.ToArray(), b.Parameters()[0].Value.ToArray());
        b.ResetParameters(new Rng(9));
        for (int i = 0; i < a.Parameters().Count; i++) Assert.Equal(a.Parameters()[i].Value.ToArray(), b.Parameters()[i].Value.ToArray());
    }

    [Fact]
    public void TorchDefaultInitHasBoundOneOverSqrtFanIn()
    {
        var net = (Linear<double>)new LinearSpec(400).Build<double>([100], new Rng(11));
        var w = net.Weight.Value.AsSpan().ToArray();
        Assert.All(w, v => Assert.InRange(v, -0.1, 0.1));
        double var = w.Select(v => v * v).Average();
        Assert.Equal(1.0 / 300, var, 0.0002);            // U(±1/√fan_in): variance 1/(3·fan_in)
        Assert.Equal(1.0 / 300, Kaiming.TorchDefault.Variance(100, 400), 12);
        Assert.All(net.Bias!.Value.AsSpan().ToArray(), v => Assert.InRange(v, -0.1, 0.1));
    }

    [Fact]
    public void OrthogonalRowsAreOrthonormal()
    {
        var t = Tensor.Zeros<double>(6, 10);
        new Orthogonal(2).Fill(t, 10, 6, new Rng(12));
        var g = Tensor.MatMul(t, t.Mt);
        for (int i = 0; i < 6; i++) for (int j = 0; j < 6; j++) Assert.Equal(i == j ? 4.0 : 0.0, g[i, j], 12);
    }

    [Fact]
    public void SaveLoadRoundTripsBitForBit()
    {
        var spec = SpecParser.Parse("linear(8) gelu linear(3)");
        var a = spec.Build<float>([5], new Rng(13));
        var b = spec.Build<float>([5], new Rng(14));
        var path = Path.Combine(Path.GetTempPath(), $"nf-models-{Guid.NewGuid():N}.safetensors");
        try
        {
            StateDict.Save(a, path);
            StateDict.Load(b, path);
            for (int i = 0; i < a.Parameters().Count; i++) Assert.Equal(a.Parameters()[i].Value.ToArray(), b.Parameters()[i].Value.ToArray());
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void LoadListsEveryProblemAndChangesNothing()
    {
        var a = SpecParser.Parse("linear(8) relu linear(3)").Build<double>([5], new Rng(15));
        var b = SpecParser.Parse("linear(8) relu linear(4) relu linear(2)").Build<double>([5], new Rng(16));
        var before = b.Parameters().Select(p => p.Value.ToArray()).ToArray();
        var path = Path.Combine(Path.GetTempPath(), $"nf-models-{Guid.NewGuid():N}.safetensors");
        try
        {
            StateDict.Save(a, path);
            var e = Assert.Throws<ArgumentException>(() => StateDict.Load(b, path));
            Assert.Contains("'2.weight': shape [3, 8] in the file, [4, 8] in the model", e.Message);
            Assert.Contains("'2.bias': shape [3] in the file, [4] in the model", e.Message);
            Assert.Contains("missing key '4.weight'", e.Message);
            Assert.Contains("missing key '4.bias'", e.Message);
            for (int i = 0; i < before.Length; i++) Assert.Equal(before[i], b.Parameters()[i].Value.ToArray());
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void FoldedNtkWeightsGiveTheSameOutputsInAStandardNetwork()
    {
        var ntk = SpecParser.Parse("dense(6, w_std=1.5, b_std=0.1) relu dense(2, w_std=1.5, b_std=0.1)").Build<double>([4], new Rng(17));
        var std = SpecParser.Parse("linear(6) relu linear(2)").Build<double>([4], new Rng(18));
        var path = Path.Combine(Path.GetTempPath(), $"nf-models-{Guid.NewGuid():N}.safetensors");
        try
        {
            StateDict.Save(ntk, path, fold: true);
            var file = NativeFree.Tensors.IO.Safetensors.Load(path);
            // The standard network ignores the folded flag (its multipliers are 1) and gives the NTK network's outputs.
            StateDict.Load(std, file);
            var x = new Rng(19).Normal(0.0, 1.0, 3, 4);
            var y1 = ntk.Predict(x); var y2 = std.Predict(x);
            for (int i = 0; i < y1.Length; i++) Assert.Equal(y1.AsSpan()[i], y2.AsSpan()[i], 12);
            // And loading the folded file back into an NTK network unfolds it.
            var again = SpecParser.Parse("dense(6, w_std=1.5, b_std=0.1) relu dense(2, w_std=1.5, b_std=0.1)").Build<double>([4], new Rng(20));
            StateDict.Load(again, file);
            var y3 = again.Predict(x);
            for (int i = 0; i < y1.Length; i++) Assert.Equal(y1.AsSpan()[i], y3.AsSpan()[i], 12);
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData("linear(8) relu linear(3)")]
    [InlineData("dense(512, w_std=1.5, b_std=0.05) erf dense(1)")]
    [InlineData("linear(4, bias=false, parametrization=mup) leaky_relu(0.2) residual(linear(4) tanh) fan_in_concat(linear(2) | identity) linear(1)")]
    public void SpecTextRoundTrips(string text)
    {
        var spec = SpecParser.Parse(text);
        Assert.Equal(spec, SpecParser.Parse(spec.ToString()));
    }

    [Fact]
    public void SpecErrorsNameTheColumnAndTheLayer()
    {
        var e = Assert.Throws<ArgumentException>(() => SpecParser.Parse("linear(8) relu linear(x)"));
        Assert.Contains("column 23", e.Message);
        e = Assert.Throws<ArgumentException>(() => SpecParser.Parse("linear(8) frobnicate"));
        Assert.Contains("unknown layer 'frobnicate'", e.Message);
        var deep = string.Concat(Enumerable.Repeat("residual(", 20000)) + "relu" + new string(')', 20000);
        e = Assert.Throws<ArgumentException>(() => SpecParser.Parse(deep));
        Assert.Contains("nesting deeper than", e.Message);
    }

    [Fact]
    public void ShapeErrorsNameTheLayerAndBothShapes()
    {
        var spec = SpecParser.Parse("linear(8) residual(linear(4)) linear(2)");
        var e = Assert.Throws<ArgumentException>(() => spec.OutputShape([5]));
        Assert.Contains("residual(linear(4))", e.Message);
        Assert.Contains("[8]", e.Message); Assert.Contains("[4]", e.Message);
        var net = SpecParser.Parse("linear(3)").Build<float>([5], new Rng(1));
        e = Assert.Throws<ArgumentException>(() => net.Forward(Var<float>.Constant(Tensor.Zeros<float>(2, 6))));
        Assert.Contains("[2, 6]", e.Message); Assert.Contains("5]", e.Message);
    }

    [Fact]
    public void GradientsReachEveryParameter()
    {
        var net = SpecParser.Parse("linear(8) silu residual(linear(8) elu) fan_in_sum(linear(3) | linear(3) sigmoid)").Build<double>([4], new Rng(21));
        var x = new Rng(22).Normal(0.0, 1.0, 6, 4);
        var loss = Nn.MseLoss(net.Forward(Var<double>.Constant(x), ForwardContext.TrainDeterministic), Var<double>.Constant(Tensor.Zeros<double>(6, 3)));
        loss.Backward();
        foreach (var p in net.Parameters()) { Assert.NotNull(p.Grad); Assert.Contains(p.Grad!.ToArray(), v => v != 0); }
        // Finite differences of the loss in one weight of the nested branch.
        var w = net.Parameters().First(p => p.Key == "2.0.weight");
        double g = w.Grad![0, 0], h = 1e-6, v0 = w.Value[0, 0];
        double Loss() => Nn.MseLoss(net.Forward(Var<double>.Constant(x)), Var<double>.Constant(Tensor.Zeros<double>(6, 3))).Item();
        w.Value[0, 0] = v0 + h; double up = Loss(); w.Value[0, 0] = v0 - h; double dn = Loss(); w.Value[0, 0] = v0;
        Assert.Equal((up - dn) / (2 * h), g, 1e-7);
    }
}
