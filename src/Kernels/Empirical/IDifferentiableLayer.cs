using NativeFree.Autograd;

namespace NativeFree.Kernels.Empirical;

/// <summary>
/// A layer whose forward pass can also run on Autograd variables, so the finite network has gradients
/// with respect to its parameters (the empirical NTK, training). The parameters stay plain tensors in
/// <see cref="Parameters"/>; <see cref="ParameterVars"/> gives the variable that stands for each of them.
/// </summary>
public interface IDifferentiableLayer : ILayer
{
    /// <summary>The forward pass of <see cref="ILayer.Apply"/> recorded on the Autograd tape.</summary>
    /// <param name="parameters">From <see cref="ILayer.Init"/>.</param>
    /// <param name="vars">The variable for each parameter tensor.</param>
    /// <param name="x">The batch [N, …spatial, C].</param>
    Var<double> Apply(Parameters parameters, ParameterVars vars, Var<double> x);
}

/// <summary>
/// The Autograd variables standing for a network's parameter tensors (by reference), in the depth-first
/// order of <see cref="Parameters.All"/>.
/// </summary>
public sealed class ParameterVars
{
    private readonly Dictionary<NativeFree.Tensors.Tensor<double>, Var<double>> _map = new(ReferenceEqualityComparer.Instance);

    /// <summary>The variables in the order of <see cref="Parameters.All"/>.</summary>
    public IReadOnlyList<Var<double>> All { get; }

    /// <summary>Wraps every tensor of <paramref name="parameters"/> as a differentiable leaf.</summary>
    public ParameterVars(Parameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var all = new List<Var<double>>();
        foreach (var t in parameters.All())
        {
            if (_map.ContainsKey(t)) continue; // a shared tensor is one parameter
            var v = Var<double>.Parameter(t);
            _map[t] = v;
            all.Add(v);
        }
        All = all;
    }

    /// <summary>
    /// Randomness for stochastic layers on the tape (Dropout in training mode draws its masks from it, in the
    /// same order as the plain forward pass given the same sampler); null when the network is deterministic.
    /// </summary>
    public INormalSampler? Sampler { get; init; }

    /// <summary>The variable for one parameter tensor.</summary>
    public Var<double> this[NativeFree.Tensors.Tensor<double> tensor]
        => _map.TryGetValue(tensor, out var v) ? v : throw new ArgumentException("This tensor is not one of the network's parameters.", nameof(tensor));

    /// <summary>Runs <paramref name="layer"/> on the tape, or explains which layer has no differentiable forward pass.</summary>
    public static Var<double> ApplyLayer(ILayer layer, Parameters parameters, ParameterVars vars, Var<double> x)
        => layer is IDifferentiableLayer d ? d.Apply(parameters, vars, x)
            : throw new NotSupportedException($"{layer.Name}: this layer has no Autograd forward pass (it does not implement IDifferentiableLayer), " +
                "so the finite network has no empirical kernel and cannot be trained. Every built-in layer has one; a custom ILayer must implement IDifferentiableLayer.");
}
