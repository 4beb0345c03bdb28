using SkiaSharp;

namespace Distill.StudentTrainer.Evaluation;

/// <summary>
/// The font family the plots are labelled in. SkiaSharp's Linux native library (the build without fontconfig) finds
/// fonts only as files under /usr/share/fonts; Debian's fonts-dejavu-core puts DejaVu Sans there.
/// </summary>
public static class PlotFont
{
    private static readonly string[] Preferred = ["DejaVu Sans", "Liberation Sans", "Noto Sans", "FreeSans", "Arial", "Helvetica"];

    /// <summary>
    /// The first preferred sans-serif family installed, else any installed family; null when none is, and the plots
    /// then carry no text (install Debian's fonts-dejavu-core).
    /// </summary>
    public static string? Family { get; } = Resolve();

    private static string? Resolve()
    {
        string[] installed = [.. SKFontManager.Default.FontFamilies.Where(family => !string.IsNullOrWhiteSpace(family))];
        return Preferred.FirstOrDefault(family => installed.Contains(family, StringComparer.OrdinalIgnoreCase))
            ?? installed.FirstOrDefault();
    }
}
