using NativeFree.Autograd;
using NativeFree.Tensors;

namespace NativeFree.Cli.Bench;

/// <summary>
/// One SGD training step of a ReLU MLP written with autograd ops, the workload of
/// <c>nativefree bench mlp-step</c> and of <c>MlpStepBenchmarks</c>: forward (x·W + b, ReLU
/// between layers), cross-entropy from logits, backward, and the SGD update in place.
/// The same shapes as the PyTorch peer (shared/anchors/mlp_torch.py).
/// </summary>
public sealed class MlpStep : IMlpStep
{
    private readonly Var<float>[] _weights;
    private readonly Var<float>[] _biases;
    private readonly Var<float> _x;
    private readonly int[] _labels;
    private readonly float _learningRate;

    /// <summary>Builds the network with PyTorch's default init (U(±1/√fan_in)) and random data, seeded.</summary>
    public MlpStep(int batch, int[] dims, float learningRate = 1e-2f, int seed = 0)
    {
        if (dims.Length < 2) throw new ArgumentException("An MLP needs at least an input and an output size.", nameof(dims));
        Batch = batch;
        Dims = (int[])dims.Clone();
        _learningRate = learningRate;
        var rng = new Random(seed);
        _weights = new Var<float>[dims.Length - 1];
        _biases = new Var<float>[dims.Length - 1];
        for (int i = 0; i < _weights.Length; i++)
        {
            float bound = 1 / MathF.Sqrt(dims[i]);
            _weights[i] = Var<float>.Parameter(Uniform(rng, bound, dims[i], dims[i + 1]), $"W{i}");
            _biases[i] = Var<float>.Parameter(Uniform(rng, bound, dims[i + 1]), $"b{i}");
        }
        _x = Var<float>.Constant(Uniform(rng, 1, batch, dims[0]));
        _labels = new int[batch];
        for (int i = 0; i < batch; i++) _labels[i] = rng.Next(dims[^1]);
    }

    /// <inheritdoc/>
    public string Impl => "hand";

    /// <inheritdoc/>
    public int Batch { get; }

    /// <inheritdoc/>
    public int[] Dims { get; }

    /// <summary>Number of nodes one step records (counted on a step's graph).</summary>
    public int RecordedOps { get; private set; }

    /// <summary>Runs one step and returns the loss.</summary>
    /// <remarks>
    /// The step runs in a <see cref="GraphScope"/>: intermediates and gradients come from a buffer pool and
    /// go back when the step ends, and the parameters' gradient buffers are reused (ZeroGrad with reuse),
    /// so a steady-state step allocates only the small graph objects.
    /// </remarks>
    public float Step()
    {
        using var scope = new GraphScope();
        var loss = Loss();
        loss.Backward();
        for (int i = 0; i < _weights.Length; i++)
        {
            Update(_weights[i]);
            Update(_biases[i]);
        }
        return loss.Item();
    }

    /// <summary>
    /// Runs one step like <see cref="Step"/> and adds the stopwatch ticks of its three phases to
    /// <paramref name="ticks"/>: [0] forward and loss, [1] backward, [2] SGD update.
    /// </summary>
    public void StepTimed(long[] ticks)
    {
        using var scope = new GraphScope();
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        var loss = Loss();
        long t1 = System.Diagnostics.Stopwatch.GetTimestamp();
        loss.Backward();
        long t2 = System.Diagnostics.Stopwatch.GetTimestamp();
        for (int i = 0; i < _weights.Length; i++)
        {
            Update(_weights[i]);
            Update(_biases[i]);
        }
        long t3 = System.Diagnostics.Stopwatch.GetTimestamp();
        ticks[0] += t1 - t0; ticks[1] += t2 - t1; ticks[2] += t3 - t2;
    }

    /// <summary>Forward pass and loss, recorded.</summary>
    public Var<float> Loss() => LossOf(Parameters);

    /// <summary>The parameters, W0, b0, W1, b1, …</summary>
    public Var<float>[] Parameters => _parameters ??= _weights.Zip(_biases, (w, b) => new[] { w, b }).SelectMany(p => p).ToArray();

    private Var<float>[]? _parameters;

    /// <summary>The loss as a function of the parameters (W0, b0, W1, b1, …), for the functional API (Grad, Hvp).</summary>
    public Var<float> LossOf(Var<float>[] parameters)
    {
        Var<float> h = _x;
        int layers = parameters.Length / 2;
        for (int i = 0; i < layers; i++)
        {
            h = Var<float>.MatMul(h, parameters[2 * i]) + parameters[2 * i + 1];
            if (i < layers - 1) h = h.Relu();
        }
        return Nn.CrossEntropy(h, _labels);
    }

    /// <summary>Counts the nodes of one step's graph (and leaves the parameters untouched).</summary>
    public int CountRecordedOps() => RecordedOps = CountNodes(Loss());

    /// <summary>Number of distinct nodes in the graph of <paramref name="loss"/>.</summary>
    internal static int CountNodes(Var<float> loss)
    {
        var seen = new HashSet<Node<float>>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<Var<float>>();
        stack.Push(loss);
        while (stack.Count > 0)
        {
            var v = stack.Pop();
            if (v.Node is null || !seen.Add(v.Node)) continue;
            foreach (var input in v.Node.Inputs) stack.Push(input);
        }
        return seen.Count;
    }

    /// <inheritdoc/>
    public float[][] Weights() => Parameters.Select(p => p.Value.AsSpan().ToArray()).ToArray();

    // p ← p − lr·∇p, in place on the parameter's storage; the gradient is then dropped.
    private void Update(Var<float> p)
    {
        var grad = p.Grad ?? throw new InvalidOperationException($"{p.Name} received no gradient.");
        Tensor.AddScaledInPlace(p.Value, -_learningRate, grad.Value);
        p.ZeroGrad(reuseBuffer: true);
    }

    private static Tensor<float> Uniform(Random rng, float bound, params int[] shape)
    {
        var t = Tensor.Zeros<float>(shape);
        var s = t.AsSpan();
        for (int i = 0; i < s.Length; i++) s[i] = (float)(rng.NextDouble() * 2 - 1) * bound;
        return t;
    }
}
