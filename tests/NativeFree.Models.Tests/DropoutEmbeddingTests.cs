using NativeFree.Autograd;
using NativeFree.Models.Layers;
using NativeFree.Models.Spec;
using NativeFree.Tensors;
using NativeFree.Tensors.Randomness;
using Xunit;

namespace NativeFree.Models.Tests;

public class DropoutEmbeddingTests
{
    [Theory]
    [InlineData("dropout(0.3)", 0.3)]
    [InlineData("dropout(keep=0.8)", 0.2)]
    public void DropoutDropsAboutPAndScalesTheRest(string text, double p)
    {
        var net = SpecParser.Parse(text).Build<double>([200], new Rng(0));
        var x = Tensor.Ones<double>(100, 200);
        var y = net.Forward(Var<double>.Constant(x), ForwardContext.Train(new Rng(11))).Value.ToArray();
        double dropped = y.Count(v => v == 0) / (double)y.Length;
        Assert.InRange(dropped, p - 0.01, p + 0.01);   // 20000 draws: σ ≈ 0.003
        Assert.All(y.Where(v => v != 0), v => Assert.Equal(1 / (1 - p), v, 12));
        var again = net.Forward(Var<double>.Constant(x), ForwardContext.Train(new Rng(11))).Value.ToArray();
        Assert.Equal(y, again);   // same seed, same mask
        var other = net.Forward(Var<double>.Constant(x), ForwardContext.Train(new Rng(12))).Value.ToArray();
        Assert.NotEqual(y, other);
        Assert.Equal(x.ToArray(), net.Predict(x).ToArray());   // evaluation: identity
        Assert.Throws<InvalidOperationException>(() => net.Forward(Var<double>.Constant(x), ForwardContext.TrainDeterministic));
    }

    [Fact]
    public void DropoutOfOneZeroesEverything()
    {
        var net = new DropoutSpec(1).Build<double>([4], new Rng(0));
        var y = net.Forward(Var<double>.Constant(Tensor.Ones<double>(2, 4)), ForwardContext.Train(new Rng(1))).Value;
        Assert.All(y.ToArray(), v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void EmbeddingLooksUpRowsAndGradsReachThem()
    {
        var net = (Embedding<double>)new EmbeddingSpec(5, 3).Build<double>([4], new Rng(2));
        var w = net.Weight.Value;
        Assert.Equal(Models.ParameterRole.Embedding, net.Weight.Role);
        var ids = Tensor.FromArray([0.0, 4, 2, 2, 1, 1, 3, 0], 2, 4);
        var y = net.Forward(Var<double>.Constant(ids), ForwardContext.Eval);
        Assert.Equal([2, 4, 3], y.Value.ShapeArray);
        for (int b = 0; b < 2; b++) for (int l = 0; l < 4; l++) for (int d = 0; d < 3; d++) Assert.Equal(w[(int)ids[b, l], d], y.Value[b, l, d]);
        y.Sum().Backward();
        Assert.Equal([2.0, 2, 2], Enumerable.Range(0, 3).Select(d => net.Weight.Grad![2, d]));   // id 2 appears twice
        var e = Assert.Throws<ArgumentException>(() => net.Predict(Tensor.FromArray([0.0, 5, 1, 1], 1, 4)));
        Assert.Contains("element 1", e.Message); Assert.Contains("5", e.Message);
        e = Assert.Throws<ArgumentException>(() => net.Predict(Tensor.FromArray([0.0, 1.5, 1, 1], 1, 4)));
        Assert.Contains("1.5", e.Message);
        // Scalar ids per example: [N] → [N, dim]; the N(0, 1) init as torch.
        var big = (Embedding<double>)new EmbeddingSpec(1000, 50).Build<double>([], new Rng(3));
        var vals = big.Weight.Value.ToArray();
        Assert.Equal(1.0, vals.Select(v => v * v).Average(), 0.03);
        Assert.Equal([3, 50], big.Predict(Tensor.FromArray([1.0, 2, 999], 3)).ShapeArray);
    }
}
