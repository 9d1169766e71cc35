using NativeFree.Models;
using NativeFree.Models.Layers;
using NativeFree.Models.Spec;

namespace NativeFree.Cli.Commands;

/// <summary>The options <c>init</c> and <c>eval</c> share: the SPEC, its parametrization and the dtype.</summary>
internal static class ModelOptions
{
    public const string ParametrizationHelp =
        "--parametrization standard|ntk|mup|mup-adam sets every linear/conv layer's parametrization (default: what\n" +
        "the SPEC says, standard for linear/conv2d and ntk for dense/conv)";

    /// <summary>
    /// Parses the SPEC. Its errors stay ArgumentExceptions (exit 1, naming the column), as the kernel and predict
    /// commands treat a bad network description; a bad --parametrization value is a usage error (exit 2).
    /// </summary>
    public static SequentialSpec ParseNet(string text, string? parametrization)
    {
        var spec = SpecParser.Parse(text);
        if (parametrization is null) return spec;
        Parametrization p;
        try { p = Parametrization.Parse(parametrization); }
        catch (ArgumentException e) { throw new CliException("--parametrization: " + e.Message); }
        return (SequentialSpec)WithParametrization(spec, p);
    }

    /// <summary>
    /// The spec with every weight layer, at any depth, under <paramref name="p"/>. Done on the spec rather than
    /// by editing SPEC text so a layer that already names a parametrization is overridden, not duplicated.
    /// </summary>
    public static LayerSpec WithParametrization(LayerSpec spec, Parametrization p) => spec switch
    {
        SequentialSpec s => new SequentialSpec(s.Layers.Select(l => WithParametrization(l, p)).ToArray()),
        ResidualSpec r => new ResidualSpec((SequentialSpec)WithParametrization(r.Body, p)),
        ParallelSpec par => new ParallelSpec(par.Join, par.Branches.Select(b => (SequentialSpec)WithParametrization(b, p)).ToArray()),
        LinearSpec l => l with { Parametrization = p },
        ConvSpec c => c with { Parametrization = p },
        _ => spec,
    };

    /// <summary>float32 or float64, or null when not given.</summary>
    public static string? Dtype(CliArgs cli)
    {
        string? dtype = cli.Get("--dtype");
        if (dtype is not (null or "float32" or "float64")) throw new CliException($"--dtype must be float32 or float64, got '{dtype}'");
        return dtype;
    }

    /// <summary>Parses a per-example shape such as 1,28,28 (or 1x28x28).</summary>
    public static int[] Shape(string text, string option)
    {
        var parts = text.Split([',', 'x', 'X'], StringSplitOptions.TrimEntries);
        var shape = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out shape[i]) || shape[i] < 1)
                throw new CliException($"{option} expects sizes ≥ 1 separated by commas, such as 1,28,28; got '{text}'");
        if (shape.Length is < 1 or > 3) throw new CliException($"{option}: a per-example shape has 1 to 3 axes ([d], [C, L] or [C, H, W]); got '{text}'");
        return shape;
    }
}
