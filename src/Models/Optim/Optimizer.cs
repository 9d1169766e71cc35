using System.Numerics;

namespace NativeFree.Models.Optim;

/// <summary>
/// An optimizer over a fixed list of <see cref="Parameter{T}"/>s, like torch.optim.Optimizer with one
/// parameter group: <see cref="Step"/> updates every parameter that has a gradient, in place, and
/// <see cref="ZeroGrad"/> clears the gradients (keeping their buffers for the next backward pass).
/// Per-layer rates are not groups here: each parameter's <see cref="Parameter{T}.LearningRateScale"/>
/// (set by μP) multiplies the optimizer's rate, so an optimizer knows nothing of parametrizations.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public abstract class Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Parameter<T>[] _parameters;

    /// <summary>An optimizer over <paramref name="parameters"/> (typically <see cref="Module{T}.Parameters"/>), each listed once.</summary>
    protected Optimizer(IEnumerable<Parameter<T>> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _parameters = [.. parameters];
        if (_parameters.Length == 0) throw new ArgumentException("The optimizer got an empty parameter list.", nameof(parameters));
        var seen = new HashSet<Parameter<T>>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < _parameters.Length; i++)
        {
            if (_parameters[i] is null) throw new ArgumentException($"Parameter {i} is null.", nameof(parameters));
            if (!seen.Add(_parameters[i])) throw new ArgumentException($"Parameter {i} ({_parameters[i]}) appears more than once.", nameof(parameters));
        }
    }

    /// <summary>The parameters, in the order given.</summary>
    public IReadOnlyList<Parameter<T>> Parameters => _parameters;

    /// <summary>Number of <see cref="Step"/> calls so far.</summary>
    public long StepCount { get; private set; }

    /// <summary>
    /// Updates every parameter that has a gradient in place (parameters without one are skipped, as
    /// torch skips <c>p.grad is None</c>); the gradients are left as they are.
    /// </summary>
    public void Step()
    {
        for (int i = 0; i < _parameters.Length; i++)
        {
            var p = _parameters[i];
            if (p.Grad is { } g) Update(i, p, g);
        }
        StepCount++;
    }

    /// <summary>Clears every parameter's gradient, keeping its buffer for reuse (torch's <c>zero_grad()</c>).</summary>
    public void ZeroGrad()
    {
        foreach (var p in _parameters) p.ZeroGrad();
    }

    /// <summary>Updates parameter number <paramref name="index"/> of <see cref="Parameters"/> from its gradient <paramref name="grad"/>.</summary>
    protected abstract void Update(int index, Parameter<T> parameter, NativeFree.Tensors.Tensor<T> grad);
}
