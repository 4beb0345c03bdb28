using SkiaSharp;

namespace Distill.StudentTrainer.Evaluation;

/// <summary>
/// The font the plots are labelled in: DejaVu Sans, shipped with the trainer (Fonts/DejaVuSans.ttf, Bitstream Vera
/// licence beside it), so plots carry text on a machine without fonts too. SkiaSharp's Linux native library (the
/// build without fontconfig) would only find font files under /usr/share/fonts.
/// </summary>
public static class PlotFont
{
    public const string BundledFamily = "DejaVu Sans";

    /// <summary>Path of the bundled font file in the output folder.</summary>
    public static string BundledFile { get; } = Path.Combine(AppContext.BaseDirectory, "Fonts", "DejaVuSans.ttf");

    /// <summary>The family to name in plots: the bundled one, registered with ScottPlot on first use.</summary>
    public static string Family { get; } = Register();

    /// <summary>The bundled typeface, for drawing outside ScottPlot (and for tests).</summary>
    public static SKTypeface Typeface() => SKTypeface.FromFile(BundledFile)
        ?? throw new FileNotFoundException($"the bundled plot font is missing or unreadable: {BundledFile}", BundledFile);

    private static string Register()
    {
        if (!File.Exists(BundledFile))
            throw new FileNotFoundException($"the bundled plot font is missing: {BundledFile}", BundledFile);
        ScottPlot.Fonts.AddFontFile(BundledFamily, BundledFile);
        return BundledFamily;
    }
}
