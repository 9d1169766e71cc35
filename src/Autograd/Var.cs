using System.Numerics;
using NativeFree.Tensors;

namespace NativeFree.Autograd;

/// <summary>
/// A differentiable value: a <see cref="Tensor{T}"/> plus what reverse-mode autodiff needs —
/// whether a gradient is wanted (<see cref="RequiresGrad"/>), the <see cref="Node"/> of the
/// graph that produced it (null for leaves), and the accumulated <see cref="Grad"/>.
/// Operations on vars compute their value eagerly and record a node only when some input
/// requires a gradient and recording is on (<see cref="GradMode"/>).
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>. A <c>Var&lt;float&gt;</c> and a
/// <c>Var&lt;double&gt;</c> never meet in one operation: every op takes vars of one type only, so
/// mixing precisions is a compile-time error (convert the tensor with <c>Tensor.Cast</c> first).</typeparam>
public sealed partial class Var<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>A leaf var over <paramref name="value"/> (not copied).</summary>
    public Var(Tensor<T> value, bool requiresGrad = false, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(value);
        Value = value;
        RequiresGrad = requiresGrad;
        Name = name;
        _gradLock = requiresGrad ? new Lock() : SharedGradLock;
    }

    private Var(Tensor<T> value, Node<T> node)
    {
        Value = value;
        RequiresGrad = true;
        Node = node;
        _gradLock = SharedGradLock;
    }

    /// <summary>The forward value.</summary>
    public Tensor<T> Value { get; }

    /// <summary>True when gradients flow to (or through) this var.</summary>
    public bool RequiresGrad { get; }

    /// <summary>The recorded operation that produced this var; null for leaves and for values computed without recording.</summary>
    public Node<T>? Node { get; }

    /// <summary>True for vars created by the user rather than by a recorded op.</summary>
    public bool IsLeaf => Node is null;

    /// <summary>
    /// The gradient accumulated by <see cref="Backward"/> (leaves only, like PyTorch). It is itself a
    /// var: after <c>Backward(createGraph: true)</c> it carries a graph and can be differentiated again.
    /// A gradient the engine allocated itself (inside a <see cref="GraphScope"/>, or after
    /// <see cref="ZeroGrad(bool)"/> with reuse) is accumulated into in place by later plain backward
    /// passes, as in PyTorch: clone it if you need the old value. Backward passes running at the same time on
    /// other threads, through graphs that share this leaf, add into it one at a time (under this var's lock),
    /// so it ends as the sum of their gradients; read it once they have all finished.
    /// </summary>
    public Var<T>? Grad
    {
        get => _grad;
        set { lock (_gradLock) { _grad = value; _ownsGrad = false; } }
    }

    // Serialises the updates of Grad: concurrent backward passes through graphs that share this leaf each
    // add their gradient into it (see Engine). Only leaves that require a gradient ever accumulate one, so
    // only they carry a lock object; the rest share one that is never contended.
    private readonly Lock _gradLock;
    private static readonly Lock SharedGradLock = new();

    private Var<T>? _grad;
    // True when _grad's buffer belongs to this var alone (the engine made it), so it may be updated in place.
    private bool _ownsGrad;
    // A gradient buffer kept by ZeroGrad(reuseBuffer: true) for the next backward pass to write into.
    private Tensor<T>? _spareGrad;

    /// <summary>An optional name, shown in graph exports and error messages.</summary>
    public string? Name { get; set; }

    /// <summary>Shape of <see cref="Value"/>.</summary>
    public ReadOnlySpan<int> Shape => Value.Shape;

    /// <summary>Number of axes of <see cref="Value"/>.</summary>
    public int Rank => Value.Rank;

    /// <summary>A leaf that requires a gradient (a trainable parameter or an input to differentiate).</summary>
    public static Var<T> Parameter(Tensor<T> value, string? name = null) => new(value, true, name);

    /// <summary>A leaf that never requires a gradient.</summary>
    public static Var<T> Constant(Tensor<T> value) => new(value, false);

    /// <summary>A rank-0 constant.</summary>
    public static Var<T> Scalar(T value) => new(Tensor.Scalar(value), false);

    /// <summary>Wraps a tensor as a constant var, so tensors can be used directly in var expressions.</summary>
    public static implicit operator Var<T>(Tensor<T> value) => Constant(value);

    /// <summary>The same value cut from the graph: a leaf that does not require a gradient (shares storage).</summary>
    public Var<T> Detach() => new(Value, false, Name);

    /// <summary>The single element of a one-element var.</summary>
    public T Item() => Value.ToScalar();

    /// <summary>Forgets the accumulated gradient.</summary>
    public void ZeroGrad() => Grad = null;

    /// <summary>
    /// Forgets the accumulated gradient; with <paramref name="reuseBuffer"/> its storage is kept and the
    /// next plain backward pass writes this var's gradient into it instead of allocating (a training
    /// loop's <c>zero_grad</c>). Do not keep references to the old <see cref="Grad"/> when reusing.
    /// </summary>
    public void ZeroGrad(bool reuseBuffer)
    {
        lock (_gradLock)
        {
            if (reuseBuffer && _ownsGrad && _grad is not null) _spareGrad = _grad.Value;
            _grad = null;
            _ownsGrad = false;
        }
    }

    // The engine's end of a backward pass at a leaf: add g into Grad, in place when the buffer is ours, else
    // into a buffer of our own when g's may be recycled (GraphScope) or a spare is waiting; otherwise adopt g
    // itself, as before pooling existed. Under the leaf's lock: passes on other threads may be adding too.
    internal void AccumulateGrad(Var<T> g, bool createGraph)
    {
        lock (_gradLock) AccumulateGradUnsynchronized(g, createGraph);
    }

    private void AccumulateGradUnsynchronized(Var<T> g, bool createGraph)
    {
        if (createGraph) { _grad = _grad is null ? g : _grad + g; _ownsGrad = false; return; }
        if (_grad is not null && _ownsGrad) { Tensor.AddScaledInPlace(_grad.Value, T.One, g.Value); return; }
        if (_grad is null && _spareGrad is null && !GraphScope.IsActive) { _grad = g; _ownsGrad = false; return; }
        var buffer = _spareGrad is not null && ShapeUtil.SameShape(_spareGrad.Shape, g.Shape)
            ? _spareGrad : Tensor.Zeros<T>(g.Value.ShapeArray);
        _spareGrad = null;
        if (_grad is null) buffer.CopyFrom(g.Value);
        else Tensor.Add(_grad.Value, g.Value, buffer);
        _grad = new Var<T>(buffer);
        _ownsGrad = true;
    }

    // A value computed by a rule's fast path (recording off): a plain var, no node.
    internal static Var<T> Plain(Tensor<T> value) => new(value);

    /// <summary>
    /// Back-propagates from this var, adding d(this)/d(leaf) into <see cref="Grad"/> of every leaf
    /// that requires a gradient. <paramref name="seed"/> is the gradient of some scalar with
    /// respect to this var; it may be omitted only when this var has one element.
    /// </summary>
    /// <param name="seed">Gradient arriving at this var (same shape); defaults to 1 for one-element vars.</param>
    /// <param name="retainGraph">Keep the graph so another backward pass can run through it.</param>
    /// <param name="createGraph">Record the backward pass itself, so the gradients can be differentiated again (implies the graph is kept).</param>
    public void Backward(Tensor<T>? seed = null, bool retainGraph = false, bool createGraph = false)
        => Engine<T>.Run(this, seed, retainGraph || createGraph, createGraph, wanted: null, observer: null);

    /// <summary>Shape, dtype, whether a gradient is tracked and the creating op.</summary>
    public override string ToString()
        => $"Var{(Name is null ? "" : " " + Name)} {ShapeUtil.Format(Shape)} {(typeof(T) == typeof(float) ? "float32" : "float64")}"
           + (Node is not null ? $" (from {Node.Op.Name})" : RequiresGrad ? " (leaf, requires grad)" : "");

    // ------------------------------------------------------------------ recording

    // One read of the ambient modes per op (an async-local read), for both the anomaly check and recording.
    internal static Var<T> Record(OpInfo op, Tensor<T> value, BackwardRule<T> rule, object? state, Var<T> a)
    {
        int modes = AmbientModes.Flags;
        if (modes != 0 && Anomaly.ChecksForwardGiven(modes)) Anomaly.CheckForward(op.Name, value);
        if (!a.RequiresGrad || (modes & AmbientModes.NoGrad) != 0) return new Var<T>(value);
        return Attach(new Node<T>(op, [a], rule, state), value);
    }

    internal static Var<T> Record(OpInfo op, Tensor<T> value, BackwardRule<T> rule, object? state, Var<T> a, Var<T> b)
    {
        int modes = AmbientModes.Flags;
        if (modes != 0 && Anomaly.ChecksForwardGiven(modes)) Anomaly.CheckForward(op.Name, value);
        if (!(a.RequiresGrad || b.RequiresGrad) || (modes & AmbientModes.NoGrad) != 0) return new Var<T>(value);
        return Attach(new Node<T>(op, [a, b], rule, state), value);
    }

    internal static Var<T> Record(OpInfo op, Tensor<T> value, BackwardRule<T> rule, object? state, Var<T>[] inputs)
    {
        int modes = AmbientModes.Flags;
        if (modes != 0 && Anomaly.ChecksForwardGiven(modes)) Anomaly.CheckForward(op.Name, value);
        bool any = false;
        foreach (var v in inputs) any |= v.RequiresGrad;
        if (!any || (modes & AmbientModes.NoGrad) != 0) return new Var<T>(value);
        return Attach(new Node<T>(op, inputs, rule, state), value);
    }

    private static Var<T> Attach(Node<T> node, Tensor<T> value)
    {
        var v = new Var<T>(value, node);
        node.Output = v;
        return v;
    }
}
