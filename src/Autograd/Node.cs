using System.Numerics;

namespace NativeFree.Autograd;

/// <summary>
/// A derivative rule: given the node and the gradient <paramref name="gradOutput"/> arriving at its
/// output, returns one gradient per input (null where none is needed). Rules are written with
/// var operations, so when the engine records the backward pass (createGraph) the gradients are
/// themselves differentiable. A rule may return a gradient in the broadcast (output) shape: the
/// engine sums it back to the input's shape.
/// </summary>
public delegate Var<T>?[] BackwardRule<T>(Node<T> node, Var<T> gradOutput) where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>One recorded operation of the graph: the op, its inputs, its output and its derivative rule.</summary>
public sealed class Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Var<T>[] _inputs;
    private object? _state;

    internal Node(OpInfo op, Var<T>[] inputs, BackwardRule<T>? rule, object? state)
    {
        Op = op;
        _inputs = inputs;
        Rule = rule;
        _state = state;
        Output = null!; // set by Var.Attach right after construction
    }

    /// <summary>What operation this is (name, family, rule in words).</summary>
    public OpInfo Op { get; }

    /// <summary>The inputs, in order.</summary>
    public IReadOnlyList<Var<T>> Inputs => _inputs;

    /// <summary>Input <paramref name="i"/>.</summary>
    public Var<T> Input(int i) => _inputs[i];

    /// <summary>The var this node produced.</summary>
    public Var<T> Output { get; internal set; }

    /// <summary>Op parameters saved for the backward pass (axes, shapes, indices…); null after the graph is freed.</summary>
    public object? State => _state;

    /// <summary>True once a backward pass without <c>retainGraph</c> has run through this node.</summary>
    public bool IsFreed { get; private set; }

    /// <summary>True when input <paramref name="i"/> wants a gradient (rules skip the others).</summary>
    public bool NeedsGrad(int i) => _inputs[i].RequiresGrad;

    internal BackwardRule<T>? Rule { get; private set; }

    internal int InputCount => _inputs.Length;

    internal void Free()
    {
        IsFreed = true;
        Rule = null;
        _state = null;
    }
}
