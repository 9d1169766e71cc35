using System.Globalization;
using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;

namespace NativeFree.Cli.Experiments;

/// <summary>
/// The few plot shapes experiments need, built on OxyPlot's model and written by its SVG exporter
/// (pure managed: SVG needs no renderer).
/// </summary>
public static class Svg
{
    /// <summary>A line plot of named (x, y) series; log axes on request.</summary>
    public static PlotModel Lines(string title, string xTitle, string yTitle, bool logX, bool logY,
        params (string Name, double[] X, double[] Y, bool Dashed)[] series)
    {
        var model = new PlotModel { Title = title, Background = OxyColors.White };
        model.Legends.Add(new Legend { LegendPosition = LegendPosition.TopRight });
        model.Axes.Add(logX ? new LogarithmicAxis { Position = AxisPosition.Bottom, Title = xTitle, MajorGridlineStyle = LineStyle.Dot }
                            : new LinearAxis { Position = AxisPosition.Bottom, Title = xTitle, MajorGridlineStyle = LineStyle.Dot });
        model.Axes.Add(logY ? new LogarithmicAxis { Position = AxisPosition.Left, Title = yTitle, MajorGridlineStyle = LineStyle.Dot }
                            : new LinearAxis { Position = AxisPosition.Left, Title = yTitle, MajorGridlineStyle = LineStyle.Dot });
        foreach (var (name, x, y, dashed) in series)
        {
            if (x.Length != y.Length) throw new ArgumentException($"series '{name}': {x.Length} x values but {y.Length} y values");
            var line = new LineSeries { Title = name, LineStyle = dashed ? LineStyle.Dash : LineStyle.Solid, MarkerType = dashed ? MarkerType.None : MarkerType.Circle };
            for (int i = 0; i < x.Length; i++) line.Points.Add(new DataPoint(x[i], y[i]));
            model.Series.Add(line);
        }
        return model;
    }

    /// <summary>The SVG document of a plot.</summary>
    public static string ToSvg(PlotModel model, double width = 640, double height = 420)
    {
        // OxyPlot formats numbers with the current culture; SVG needs '.' decimals.
        var saved = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
            return SvgExporter.ExportToString(model, width, height, isDocument: true);
        }
        finally { CultureInfo.CurrentCulture = saved; }
    }
}
