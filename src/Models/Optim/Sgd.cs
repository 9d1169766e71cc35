using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using System.Runtime.InteropServices;
using NativeFree.Tensors;

namespace NativeFree.Models.Optim;

/// <summary>
/// Stochastic gradient descent with PyTorch's update rule and defaults (torch.optim.SGD, 1.13–2.x):
/// for each parameter p with gradient g,
/// <code>
/// d = maximize ? −g : g
/// if weight_decay ≠ 0:  d = d + weight_decay · p
/// if momentum ≠ 0:      buf = (first step) ? d : momentum · buf + (1 − dampening) · d
///                       d = nesterov ? d + momentum · buf : buf
/// p = p − lr · s · d
/// </code>
/// where s is the parameter's <see cref="Parameter{T}.LearningRateScale"/> (1 unless μP sets it), so a
/// μP network trains with its per-layer rates and this type knows nothing of μP. The scale multiplies
/// the whole step, as a torch parameter group with lr·s would (the mup package's <c>MuSGD</c> also
/// divides weight decay by s, keeping lr·weight_decay fixed; this optimizer does not). The momentum
/// buffer starts as a copy of the first step's d, exactly as torch's <c>torch.clone(d_p)</c>.
/// </summary>
/// <remarks>
/// State is one momentum buffer per parameter (allocated on its first step, only when momentum ≠ 0).
/// The update is one fused pass over the contiguous value, gradient and buffer (SIMD over
/// <see cref="Vector{T}"/>); a steady-state <see cref="Optimizer{T}.Step"/> allocates nothing.
/// Arithmetic follows torch's order of operations (each product and sum rounded in T).
/// </remarks>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public sealed class Sgd<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[]?[] _momentumBuffers;
    private double _learningRate;

    /// <summary>
    /// SGD over <paramref name="parameters"/>. The defaults are torch's: no momentum, dampening 0, weight
    /// decay 0, not Nesterov, minimising. The learning rate has no default (torch 1.13's <c>lr=required</c>).
    /// </summary>
    /// <param name="parameters">The parameters to train (typically <see cref="Module{T}.Parameters"/>).</param>
    /// <param name="learningRate">lr ≥ 0, before each parameter's learning-rate scale.</param>
    /// <param name="momentum">Momentum factor ≥ 0.</param>
    /// <param name="dampening">Dampening of the momentum (torch's <c>dampening</c>; the gradient enters with weight 1 − dampening).</param>
    /// <param name="weightDecay">L2 penalty ≥ 0, added to the gradient (coupled, as torch's SGD).</param>
    /// <param name="nesterov">Nesterov momentum; needs momentum &gt; 0 and dampening 0, as torch.</param>
    /// <param name="maximize">Maximise the objective instead of minimising it.</param>
    public Sgd(IEnumerable<Parameter<T>> parameters, double learningRate, double momentum = 0, double dampening = 0,
        double weightDecay = 0, bool nesterov = false, bool maximize = false) : base(parameters)
    {
        LearningRate = learningRate;
        if (!(momentum >= 0) || !double.IsFinite(momentum)) throw new ArgumentException($"Invalid momentum value: {momentum} (must be finite and ≥ 0).", nameof(momentum));
        if (!double.IsFinite(dampening)) throw new ArgumentException($"Invalid dampening value: {dampening} (must be finite).", nameof(dampening));
        if (!(weightDecay >= 0) || !double.IsFinite(weightDecay)) throw new ArgumentException($"Invalid weight_decay value: {weightDecay} (must be finite and ≥ 0).", nameof(weightDecay));
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException($"Nesterov momentum requires a momentum and zero dampening (got momentum {momentum}, dampening {dampening}).", nameof(nesterov));
        Momentum = momentum; Dampening = dampening; WeightDecay = weightDecay; Nesterov = nesterov; Maximize = maximize;
        _momentumBuffers = new T[]?[Parameters.Count];
    }

    /// <summary>lr (≥ 0, finite), before each parameter's scale; may be changed between steps (a schedule).</summary>
    public double LearningRate
    {
        get => _learningRate;
        set => _learningRate = value >= 0 && double.IsFinite(value) ? value
            : throw new ArgumentException($"Invalid learning rate: {value} (must be finite and ≥ 0).", nameof(value));
    }

    /// <summary>Momentum factor (0: plain SGD).</summary>
    public double Momentum { get; }

    /// <summary>Dampening of the momentum.</summary>
    public double Dampening { get; }

    /// <summary>L2 penalty added to the gradient.</summary>
    public double WeightDecay { get; }

    /// <summary>Whether the step uses Nesterov momentum.</summary>
    public bool Nesterov { get; }

    /// <summary>Whether the objective is maximised.</summary>
    public bool Maximize { get; }

    /// <summary>The momentum buffer of parameter <paramref name="index"/> (torch's <c>state[p]['momentum_buffer']</c>), or empty before its first step or without momentum.</summary>
    public ReadOnlySpan<T> MomentumBuffer(int index) => _momentumBuffers[index];

    /// <inheritdoc/>
    protected override void Update(int index, Parameter<T> parameter, Tensor<T> grad)
    {
        var value = parameter.Value;
        if (!ShapeUtil.SameShape(value.Shape, grad.Shape))
            throw new InvalidOperationException($"SGD: the gradient of {parameter} has shape {ShapeUtil.Format(grad.Shape)}, not the parameter's.");
        if (!value.IsContiguous) throw new InvalidOperationException($"SGD: {parameter} is not contiguous.");
        if (!grad.IsContiguous) grad = grad.Contiguous();   // never the case for engine-made gradients
        if (value.Length == 0) return;
        var p = value.AsSpan();
        ReadOnlySpan<T> g = grad.AsSpan();
        T lr = T.CreateTruncating(_learningRate * parameter.LearningRateScale);
        T wd = T.CreateTruncating(WeightDecay);
        if (Momentum == 0)
        {
            if (WeightDecay == 0) TensorPrimitives.MultiplyAdd(g, Maximize ? lr : -lr, p, p);   // p + (∓lr)·g
            else Plain(p, g, lr, wd, Maximize);
            return;
        }
        var buffer = _momentumBuffers[index];
        bool first = buffer is null;
        buffer ??= _momentumBuffers[index] = new T[p.Length];
        WithMomentum(p, g, buffer, lr, wd, T.CreateTruncating(Momentum), T.CreateTruncating(1 - Dampening), first, Nesterov, Maximize);
    }

    // p ← p − lr·(±g + wd·p).
    private static void Plain(Span<T> p, ReadOnlySpan<T> g, T lr, T wd, bool maximize)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && p.Length >= Vector<T>.Count)
        {
            var vp = MemoryMarshal.Cast<T, Vector<T>>(p);
            var vg = MemoryMarshal.Cast<T, Vector<T>>(g);
            var vwd = new Vector<T>(wd); var vlr = new Vector<T>(lr);
            for (int k = 0; k < vp.Length; k++)
            {
                var d = maximize ? -vg[k] : vg[k];
                d += vwd * vp[k];
                vp[k] -= vlr * d;
            }
            i = vp.Length * Vector<T>.Count;
        }
        for (; i < p.Length; i++)
        {
            T d = maximize ? -g[i] : g[i];
            d += wd * p[i];
            p[i] -= lr * d;
        }
    }

    // d = ±g + wd·p; buf = first ? d : m·buf + (1 − dampening)·d; p ← p − lr·(nesterov ? d + m·buf : buf).
    private static void WithMomentum(Span<T> p, ReadOnlySpan<T> g, Span<T> buf, T lr, T wd, T m, T damp1, bool first, bool nesterov, bool maximize)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && p.Length >= Vector<T>.Count)
        {
            var vp = MemoryMarshal.Cast<T, Vector<T>>(p);
            var vg = MemoryMarshal.Cast<T, Vector<T>>(g);
            var vb = MemoryMarshal.Cast<T, Vector<T>>(buf);
            var vwd = new Vector<T>(wd); var vlr = new Vector<T>(lr); var vm = new Vector<T>(m); var vd1 = new Vector<T>(damp1);
            for (int k = 0; k < vp.Length; k++)
            {
                var d = maximize ? -vg[k] : vg[k];
                d += vwd * vp[k];
                var b = first ? d : vm * vb[k] + vd1 * d;
                vb[k] = b;
                vp[k] -= vlr * (nesterov ? d + vm * b : b);
            }
            i = vp.Length * Vector<T>.Count;
        }
        for (; i < p.Length; i++)
        {
            T d = maximize ? -g[i] : g[i];
            d += wd * p[i];
            T b = first ? d : m * buf[i] + damp1 * d;
            buf[i] = b;
            p[i] -= lr * (nesterov ? d + m * b : b);
        }
    }
}
