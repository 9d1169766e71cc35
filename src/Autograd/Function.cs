using System.Numerics;
using NativeFree.Tensors;

namespace NativeFree.Autograd;

/// <summary>
/// A user-defined differentiable op, like <c>torch.autograd.Function</c>: override
/// <see cref="Forward"/> (plain tensors in, a tensor out) and <see cref="Backward"/> (the adjoint
/// of the output in, one gradient per input out). Write Backward with var operations and the op
/// supports double backward too; gradients built from plain tensors are first-order only.
/// The engine checks that each returned gradient has its input's exact shape.
/// </summary>
public abstract class Function<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private OpInfo? _op;
    private BackwardRule<T>? _rule;

    /// <summary>The op name shown in graphs and error messages.</summary>
    public abstract string Name { get; }

    /// <summary>Computes the output value from the input values.</summary>
    protected abstract Tensor<T> Forward(IReadOnlyList<Tensor<T>> inputs);

    /// <summary>
    /// Returns d(loss)/d(input i) for each input, given <paramref name="gradOutput"/> = d(loss)/d(output).
    /// <paramref name="node"/> gives access to the inputs and the output as vars. Return null for inputs
    /// that need no gradient (see <see cref="Node{T}.NeedsGrad"/>).
    /// </summary>
    protected abstract Var<T>?[] Backward(Node<T> node, Var<T> gradOutput);

    /// <summary>Runs the op on <paramref name="inputs"/>, recording it when one of them requires a gradient.</summary>
    public Var<T> Apply(params Var<T>[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var values = new Tensor<T>[inputs.Length];
        for (int i = 0; i < inputs.Length; i++) values[i] = inputs[i].Value;
        Tensor<T> output;
        using (GradMode.NoGrad()) output = Forward(values);
        _op ??= new OpInfo(Name, UserFamily, $"{GetType().Name}.Backward", OpKind.Primitive, true);
        _rule ??= Backward;
        return Var<T>.Record(_op, output, _rule, null, inputs);
    }

    /// <summary>The family name given to user-defined ops (the engine checks their gradient shapes strictly).</summary>
    public const string UserFamily = "user";
}
