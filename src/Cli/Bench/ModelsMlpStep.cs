using System.Diagnostics;
using NativeFree.Autograd;
using NativeFree.Models;
using NativeFree.Models.Layers;
using NativeFree.Models.Optim;
using NativeFree.Models.Spec;
using NativeFree.Tensors;
using NativeFree.Tensors.Randomness;

namespace NativeFree.Cli.Bench;

/// <summary>
/// The <c>bench mlp-step</c> workload through Models, as a user writes it: the SPEC
/// <c>linear(h1) relu … linear(out)</c> built into a <see cref="Sequential{T}"/>, a train-mode forward,
/// cross-entropy, backward, <see cref="Sgd{T}"/> step and zero_grad — the loop of shared/anchors/mlp_torch.py.
/// Weights and data are drawn exactly as <see cref="MlpStep"/> draws them (the weights transposed into
/// Linear's [out, in]), so the two implementations run the same numbers.
/// </summary>
public sealed class ModelsMlpStep : IMlpStep
{
    private readonly Sequential<float> _net;
    private readonly Sgd<float> _optimizer;
    private readonly Linear<float>[] _linears;
    private readonly Var<float> _x;
    private readonly int[] _labels;

    /// <summary>The network and data of <see cref="MlpStep(int, int[], float, int)"/> with the same arguments.</summary>
    public ModelsMlpStep(int batch, int[] dims, float learningRate = 1e-2f, int seed = 0)
    {
        if (dims.Length < 2) throw new ArgumentException("An MLP needs at least an input and an output size.", nameof(dims));
        Batch = batch;
        Dims = (int[])dims.Clone();
        Spec = SpecParser.Parse(string.Join(" ", dims.Skip(1).Select((d, i) => i < dims.Length - 2 ? $"linear({d}) relu" : $"linear({d})")));
        _net = (Sequential<float>)Spec.Build<float>([dims[0]], new Rng((ulong)seed));
        _linears = _net.Layers.OfType<Linear<float>>().ToArray();
        // MlpStep's draws, in its order: per layer W [in, out] row-major, then b; then x, then the labels.
        var rng = new Random(seed);
        foreach (var linear in _linears)
        {
            int fanIn = linear.InFeatures, fanOut = linear.OutFeatures;
            float bound = 1 / MathF.Sqrt(fanIn);
            var w = linear.Weight.Value.AsSpan();   // [out, in]
            for (int i = 0; i < fanIn; i++)
                for (int o = 0; o < fanOut; o++) w[o * fanIn + i] = (float)(rng.NextDouble() * 2 - 1) * bound;
            var b = linear.Bias!.Value.AsSpan();
            for (int o = 0; o < fanOut; o++) b[o] = (float)(rng.NextDouble() * 2 - 1) * bound;
        }
        var x = Tensor.Zeros<float>(batch, dims[0]);
        var xs = x.AsSpan();
        for (int i = 0; i < xs.Length; i++) xs[i] = (float)(rng.NextDouble() * 2 - 1);
        _x = Var<float>.Constant(x);
        _labels = new int[batch];
        for (int i = 0; i < batch; i++) _labels[i] = rng.Next(dims[^1]);
        _optimizer = new Sgd<float>(_net.Parameters(), learningRate);
    }

    /// <inheritdoc/>
    public string Impl => "models";

    /// <inheritdoc/>
    public int Batch { get; }

    /// <inheritdoc/>
    public int[] Dims { get; }

    /// <summary>The network's SPEC.</summary>
    public SequentialSpec Spec { get; }

    /// <summary>The network.</summary>
    public Sequential<float> Network => _net;

    /// <inheritdoc/>
    /// <remarks>
    /// In a <see cref="GraphScope"/>, as the hand-written step: intermediates come from the buffer pool and go
    /// back when the step ends; zero_grad keeps the gradient buffers for the next backward pass.
    /// </remarks>
    public float Step()
    {
        using var scope = new GraphScope();
        var loss = Loss();
        loss.Backward();
        _optimizer.Step();
        _optimizer.ZeroGrad();
        return loss.Item();
    }

    /// <inheritdoc/>
    public void StepTimed(long[] ticks)
    {
        using var scope = new GraphScope();
        long t0 = Stopwatch.GetTimestamp();
        var loss = Loss();
        long t1 = Stopwatch.GetTimestamp();
        loss.Backward();
        long t2 = Stopwatch.GetTimestamp();
        _optimizer.Step();
        _optimizer.ZeroGrad();
        long t3 = Stopwatch.GetTimestamp();
        ticks[0] += t1 - t0; ticks[1] += t2 - t1; ticks[2] += t3 - t2;
    }

    private Var<float> Loss() => Nn.CrossEntropy(_net.Forward(_x, ForwardContext.TrainDeterministic), _labels);

    /// <inheritdoc/>
    public int CountRecordedOps() => MlpStep.CountNodes(Loss());

    /// <inheritdoc/>
    public float[][] Weights()
    {
        var result = new List<float[]>();
        foreach (var linear in _linears)
        {
            int fanIn = linear.InFeatures, fanOut = linear.OutFeatures;
            var w = linear.Weight.Value.AsSpan();
            var t = new float[w.Length];   // back to [in, out]
            for (int o = 0; o < fanOut; o++)
                for (int i = 0; i < fanIn; i++) t[i * fanOut + o] = w[o * fanIn + i];
            result.Add(t);
            result.Add(linear.Bias!.Value.AsSpan().ToArray());
        }
        return [.. result];
    }
}
