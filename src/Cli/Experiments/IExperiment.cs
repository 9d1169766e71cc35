using OxyPlot;

namespace NativeFree.Cli.Experiments;

/// <summary>
/// One reproduced claim of one paper: <c>nativefree experiment NAME</c>. An experiment is a small
/// file that composes library calls; anything reusable it needs belongs in the library.
/// </summary>
public interface IExperiment
{
    /// <summary>The word that selects it, e.g. "ntk-width".</summary>
    string Name { get; }

    /// <summary>The paper and the claim, one line, printed by <c>experiment list</c>.</summary>
    string Claim { get; }

    /// <summary>Runs the experiment, writing progress and its table to <paramref name="log"/>.</summary>
    ExperimentResult Run(ExperimentSettings settings, TextWriter log, CancellationToken cancel);
}

/// <summary>What every experiment is given.</summary>
/// <param name="Quick">The CI form: about a minute on 2 cores, same checks, smaller sizes.</param>
/// <param name="Seed">Seeds every random draw, so a run repeats exactly.</param>
public sealed record ExperimentSettings(bool Quick, ulong Seed);

/// <summary>
/// An experiment's outcome: named fields (written in order to <c>NAME.json</c>; values are numbers,
/// strings, booleans, arrays or nested dictionaries) and figures (written as SVG).
/// </summary>
public sealed class ExperimentResult
{
    /// <summary>The result object, in insertion order.</summary>
    public Dictionary<string, object?> Fields { get; } = new(StringComparer.Ordinal);

    /// <summary>Figures by file name (without directory), e.g. "ntk-width.svg".</summary>
    public List<(string FileName, PlotModel Plot)> Figures { get; } = new();

    /// <summary>Sets a field; returns this for chaining.</summary>
    public ExperimentResult Set(string name, object? value) { Fields[name] = value; return this; }
}
