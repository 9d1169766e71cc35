using NativeFree.Autograd;
using NativeFree.Models;
using NativeFree.Models.Init;
using NativeFree.Models.Optim;
using NativeFree.Models.Spec;
using NativeFree.Tensors;
using NativeFree.Tensors.Randomness;
using Xunit;

namespace NativeFree.Models.Tests;

public class SgdTests(Xunit.Abstractions.ITestOutputHelper output)
{
    // torch.optim.SGD's _single_tensor_sgd (1.13), transcribed tensor op by tensor op on arrays.
    private sealed class TorchSgdReference(double lr, double momentum, double dampening, double weightDecay, bool nesterov, bool maximize)
    {
        private readonly Dictionary<int, double[]> _buf = new();

        public void Step(int index, double[] param, double[] grad, double lrScale = 1)
        {
            double groupLr = lr * lrScale;
            var dp = maximize ? grad.Select(g => -g).ToArray() : (double[])grad.Clone();
            if (weightDecay != 0) dp = dp.Select((d, i) => d + weightDecay * param[i]).ToArray();     // d_p.add(param, alpha=wd)
            if (momentum != 0)
            {
                if (!_buf.TryGetValue(index, out var buf)) _buf[index] = buf = (double[])dp.Clone();     // torch.clone(d_p)
                else for (int i = 0; i < buf.Length; i++) buf[i] = buf[i] * momentum + (1 - dampening) * dp[i];   // mul_(m).add_(d_p, alpha=1-dampening)
                dp = nesterov ? dp.Select((d, i) => d + momentum * buf[i]).ToArray() : (double[])buf.Clone();
            }
            for (int i = 0; i < param.Length; i++) param[i] += -groupLr * dp[i];                   // param.add_(d_p, alpha=-lr)
        }
    }

    private static Parameter<T> MakeParameter<T>(double[] values, double lrScale = 1) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        => new(Tensor.FromArray(values.Select(v => T.CreateTruncating(v)).ToArray(), values.Length), ParameterRole.Weight, values.Length, 1, new Normal(1), learningRateScale: lrScale);

    // A quadratic with a linear term, so the gradient c·p + a depends on where the parameter is.
    private static double[] Gradient(double[] p, double[] c, double[] a) => p.Select((v, i) => c[i] * v + a[i]).ToArray();

    private static double[] Random(Rng rng, int n, double scale = 1) => rng.Normal(0.0, scale, n).AsSpan().ToArray();

    public static TheoryData<double, double, double, bool, bool> Settings => new()
    {
        { 0, 0, 0, false, false },        // plain SGD
        { 0, 0, 0.1, false, false },      // weight decay only
        { 0.9, 0, 0, false, false },      // heavy ball
        { 0.9, 0.3, 0.05, false, false }, // dampening and weight decay
        { 0.8, 0, 0.01, true, false },    // Nesterov with weight decay
        { 0.5, 0.2, 0.02, false, true },  // maximize
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public void MatchesTorchsAlgorithmOverSeveralStepsInDouble(double momentum, double dampening, double weightDecay, bool nesterov, bool maximize)
    {
        var rng = new Rng(7);
        int[] sizes = [37, 3, 64];   // vector body and tail, tail only, whole vectors
        var values = sizes.Select(n => Random(rng, n)).ToArray();
        var c = sizes.Select(n => Random(rng, n).Select(Math.Abs).ToArray()).ToArray();
        var a = sizes.Select(n => Random(rng, n)).ToArray();
        double[] scales = [1, 0.25, 3];
        var ps = values.Select((v, i) => MakeParameter<double>(v, scales[i])).ToArray();
        var opt = new Sgd<double>(ps, learningRate: 0.05, momentum, dampening, weightDecay, nesterov, maximize);
        var reference = new TorchSgdReference(0.05, momentum, dampening, weightDecay, nesterov, maximize);
        var expected = values.Select(v => (double[])v.Clone()).ToArray();
        for (int step = 0; step < 6; step++)
        {
            for (int i = 0; i < ps.Length; i++)
            {
                var g = Gradient(ps[i].Value.AsSpan().ToArray(), c[i], a[i]);
                ps[i].Var.Grad = Var<double>.Constant(Tensor.FromArray(g, g.Length));
                reference.Step(i, expected[i], Gradient(expected[i], c[i], a[i]), scales[i]);
            }
            opt.Step();
            for (int i = 0; i < ps.Length; i++)
                for (int k = 0; k < sizes[i]; k++) Assert.Equal(expected[i][k], ps[i].Value.AsSpan()[k], 1e-12);
        }
        Assert.Equal(6, opt.StepCount);
        if (momentum > 0) Assert.Equal(37, opt.MomentumBuffer(0).Length);
        else Assert.Equal(0, opt.MomentumBuffer(0).Length);
    }

    // Golden values from torch 1.13 (float64): p = [0.5, −1, 2], loss Σ ½c·p² + a·p with c = [1, 2, 0.5],
    // a = [0.1, −0.3, 0.2], lr 0.1, four steps of zero_grad, backward, step (script in the commit message).
    [Theory]
    [InlineData(0.9, 0.3, 0.05, false, false, 0.09440547908593752, 0.34346454684937505, 1.10320613666125)]
    [InlineData(0.8, 0.0, 0.01, true, false, 0.018714827328144754, 0.3658081624284945, 0.8812332683771871)]
    [InlineData(0.5, 0.2, 0.02, false, true, 0.8545745808399361, -2.557156623296512, 2.6526800077680646)]
    public void MatchesTorchGoldenValues(double momentum, double dampening, double weightDecay, bool nesterov, bool maximize, double e0, double e1, double e2)
    {
        double[] c = [1, 2, 0.5], a = [0.1, -0.3, 0.2];
        var p = MakeParameter<double>([0.5, -1, 2]);
        var opt = new Sgd<double>([p], 0.1, momentum, dampening, weightDecay, nesterov, maximize);
        for (int step = 0; step < 4; step++)
        {
            opt.ZeroGrad();
            var g = Gradient(p.Value.AsSpan().ToArray(), c, a);
            p.Var.Grad = Var<double>.Constant(Tensor.FromArray(g, 3));
            opt.Step();
        }
        Assert.Equal(e0, p.Value.AsSpan()[0], 1e-12);
        Assert.Equal(e1, p.Value.AsSpan()[1], 1e-12);
        Assert.Equal(e2, p.Value.AsSpan()[2], 1e-12);
    }

    [Fact]
    public void FloatFollowsTheSameAlgorithm()
    {
        var rng = new Rng(8);
        var v = Random(rng, 45); var c = Random(rng, 45).Select(Math.Abs).ToArray(); var a = Random(rng, 45);
        var p = MakeParameter<float>(v);
        var opt = new Sgd<float>([p], 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true);
        var reference = new TorchSgdReference(0.1, 0.9, 0, 0.01, true, false);
        var expected = (double[])v.Clone();
        for (int step = 0; step < 5; step++)
        {
            var g = Gradient(p.Value.AsSpan().ToArray().Select(x => (double)x).ToArray(), c, a);
            p.Var.Grad = Var<float>.Constant(Tensor.FromArray(g.Select(x => (float)x).ToArray(), 45));
            reference.Step(0, expected, Gradient(expected, c, a));
            opt.Step();
        }
        for (int k = 0; k < 45; k++) Assert.Equal(expected[k], p.Value.AsSpan()[k], 1e-5);
    }

    [Fact]
    public void EachParametersLearningRateScaleMultipliesTheRate()
    {
        var g = new[] { 1.0, -2.0, 0.5 };
        var p1 = MakeParameter<double>([0, 0, 0]);
        var p4 = MakeParameter<double>([0, 0, 0], lrScale: 4);
        var p0 = MakeParameter<double>([1, 1, 1], lrScale: 0);
        var opt = new Sgd<double>([p1, p4, p0], learningRate: 0.1);
        foreach (var p in new[] { p1, p4, p0 }) p.Var.Grad = Var<double>.Constant(Tensor.FromArray((double[])g.Clone(), 3));
        opt.Step();
        for (int k = 0; k < 3; k++)
        {
            Assert.Equal(-0.1 * g[k], p1.Value.AsSpan()[k], 1e-15);
            Assert.Equal(-0.4 * g[k], p4.Value.AsSpan()[k], 1e-15);
            Assert.Equal(1, p0.Value.AsSpan()[k]);
        }
    }

    [Fact]
    public void MuPNetworkTrainsWithItsPerLayerRates()
    {
        // μP (SGD, base width 1): the input weight's rate is η·fan_out, the hidden's η, the output's η/fan_in;
        // hidden biases η·fan_out, the output bias η (its fan_out, 2, is the output size, not a width).
        var net = SpecParser.Parse("linear(8, parametrization=mup) relu linear(8, parametrization=mup) relu linear(2, parametrization=mup)").Build<double>([3], new Rng(1));
        var ps = net.Parameters();
        var before = ps.Select(p => p.Value.AsSpan().ToArray()).ToArray();
        var x = new Rng(2).Normal(0.0, 1.0, 4, 3);
        Nn.CrossEntropy(net.Forward(Var<double>.Constant(x)), [0, 1, 1, 0]).Backward();
        var grads = ps.Select(p => p.Grad!.AsSpan().ToArray()).ToArray();
        new Sgd<double>(ps, learningRate: 0.01).Step();
        double[] rates = [0.01 * 8, 0.01 * 8, 0.01, 0.01 * 8, 0.01 / 8, 0.01];   // 0.w 0.b 2.w 2.b 4.w 4.b
        for (int i = 0; i < ps.Count; i++)
            for (int k = 0; k < before[i].Length; k++)
                Assert.Equal(before[i][k] - rates[i] * grads[i][k], ps[i].Value.AsSpan()[k], 1e-14);
    }

    [Fact]
    public void SkipsParametersWithoutGradientAndZeroGradKeepsTheBuffer()
    {
        var a = MakeParameter<double>([1, 2]); var b = MakeParameter<double>([3, 4]);
        var opt = new Sgd<double>([a, b], 0.5, momentum: 0.9);
        a.Var.Grad = Var<double>.Constant(Tensor.FromArray(new[] { 1.0, 1.0 }, 2));
        opt.Step();
        Assert.Equal([0.5, 1.5], a.Value.AsSpan().ToArray());
        Assert.Equal([3.0, 4.0], b.Value.AsSpan().ToArray());
        Assert.Equal(0, opt.MomentumBuffer(1).Length);
        opt.ZeroGrad();
        Assert.Null(a.Grad);
    }

    [Fact]
    public void BadHyperparametersAreRefusedAsTorchRefusesThem()
    {
        var p = MakeParameter<double>([1]);
        Assert.Contains("learning rate", Assert.Throws<ArgumentException>(() => new Sgd<double>([p], -0.1)).Message);
        Assert.Contains("learning rate", Assert.Throws<ArgumentException>(() => new Sgd<double>([p], double.NaN)).Message);
        Assert.Contains("momentum", Assert.Throws<ArgumentException>(() => new Sgd<double>([p], 0.1, momentum: -0.5)).Message);
        Assert.Contains("weight_decay", Assert.Throws<ArgumentException>(() => new Sgd<double>([p], 0.1, weightDecay: -1)).Message);
        Assert.Contains("Nesterov momentum requires a momentum and zero dampening",
            Assert.Throws<ArgumentException>(() => new Sgd<double>([p], 0.1, nesterov: true)).Message);
        Assert.Contains("Nesterov momentum requires a momentum and zero dampening",
            Assert.Throws<ArgumentException>(() => new Sgd<double>([p], 0.1, momentum: 0.9, dampening: 0.1, nesterov: true)).Message);
        Assert.Throws<ArgumentException>(() => new Sgd<double>([], 0.1));
        Assert.Throws<ArgumentException>(() => new Sgd<double>([p, p], 0.1));
        var opt = new Sgd<double>([p], 0.1);
        Assert.Throws<ArgumentException>(() => opt.LearningRate = -1);
        opt.LearningRate = 0.2;
        Assert.Equal(0.2, opt.LearningRate);
    }

    // The training step of bench mlp-step through Models (SPEC → Sequential, train-mode forward, cross-entropy,
    // backward, Sgd step, zero_grad, in a GraphScope) allocates ≤ 10 KB once warm: buffers come from the pool,
    // gradients keep their buffers, Sgd keeps none; what is left is the small graph objects of one step.
    // Allocation is deterministic for a given code path, so this is not a timing test.
    [Fact]
    public void AWarmTrainingStepAllocatesAtMost10KB()
    {
        var net = SpecParser.Parse("linear(128) relu linear(128) relu linear(10)").Build<float>([64], new Rng(3));
        var x = Var<float>.Constant(new Rng(4).Normal(0f, 1f, 64, 64));
        var labels = Enumerable.Range(0, 64).Select(i => i % 10).ToArray();
        var opt = new Sgd<float>(net.Parameters(), 0.01);
        var phase = new long[3];
        void Step(bool measure)
        {
            using var scope = new GraphScope();
            long a0 = GC.GetAllocatedBytesForCurrentThread();
            var loss = Nn.CrossEntropy(net.Forward(x, ForwardContext.TrainDeterministic), labels);
            long a1 = GC.GetAllocatedBytesForCurrentThread();
            loss.Backward();
            long a2 = GC.GetAllocatedBytesForCurrentThread();
            opt.Step();
            opt.ZeroGrad();
            long a3 = GC.GetAllocatedBytesForCurrentThread();
            if (measure) { phase[0] += a1 - a0; phase[1] += a2 - a1; phase[2] += a3 - a2; }
        }
        for (int i = 0; i < 20; i++) Step(false);
        const int steps = 200;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < steps; i++) Step(true);
        double perStep = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)steps;
        output.WriteLine($"bytes/step {perStep:F0}: forward+loss {phase[0] / steps}, backward {phase[1] / steps}, step+zero_grad {phase[2] / steps}");
        Assert.True(perStep <= 10 * 1024, $"{perStep:F0} bytes per step");
        Assert.Equal(0, phase[2]);   // the optimizer allocates nothing once its state exists
    }
}
