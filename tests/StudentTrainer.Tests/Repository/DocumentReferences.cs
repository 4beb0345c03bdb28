using System.Text.RegularExpressions;

namespace Distill.StudentTrainer.Tests.Repository;

/// <summary>
/// Finds, in the source and documentation files under a root, what points at documents that are not there: the design
/// notes that once lived outside the repository, a <c>docs/</c> path with no file behind it, and relative markdown links
/// (file and heading anchor) that do not resolve. Each finding is one line: <c>file:line: what</c>.
/// </summary>
internal static partial class DocumentReferences
{
    // Spelled in two parts so that this file does not name them itself.
    private static readonly string[] OutsideDocuments = ["DESIGN" + ".md", "PAPERS" + ".md"];

    public static IReadOnlyList<string> ToOutsideDocuments(string root) =>
        Lines(root, RepositoryTextFiles.Under(root))
            .SelectMany(l => OutsideDocuments.Where(name => l.Text.Contains(name, StringComparison.Ordinal))
                                             .Select(name => $"{l.Where}: names {name}, which is not in the repository (docs/ holds the design)"))
            .ToList();

    public static IReadOnlyList<string> ToMissingDocsPaths(string root) =>
        Lines(root, RepositoryTextFiles.Under(root))
            .SelectMany(l => DocsPath().Matches(l.Text).Select(m => m.Value.TrimEnd('.'))
                                       .Where(path => !Exists(Path.Combine(root, path)))
                                       .Select(path => $"{l.Where}: {path} does not exist"))
            .ToList();

    public static IReadOnlyList<string> BrokenMarkdownLinks(string root)
    {
        var broken = new List<string>();
        foreach (string file in RepositoryTextFiles.Under(root, ".md"))
        {
            string markdown = File.ReadAllText(file);
            foreach ((int line, string target) in MarkdownLinks.RelativeLinks(markdown))
            {
                string where = $"{Path.GetRelativePath(root, file)}:{line}";
                int hash = target.IndexOf('#');
                string path = Uri.UnescapeDataString(hash < 0 ? target : target[..hash]);
                string? anchor = hash < 0 ? null : target[(hash + 1)..];
                string linked = path.Length == 0 ? file : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, path));
                if (!Exists(linked)) broken.Add($"{where}: link to {target}, no such file");
                else if (anchor is not null && linked.EndsWith(".md", StringComparison.Ordinal)
                         && !MarkdownLinks.Anchors(File.ReadAllText(linked)).Contains(anchor))
                    broken.Add($"{where}: link to {target}, no such heading");
            }
        }
        return broken;
    }

    private static bool Exists(string path) => File.Exists(path) || Directory.Exists(path);

    private static IEnumerable<(string Where, string Text)> Lines(string root, IEnumerable<string> files) =>
        files.SelectMany(file => File.ReadLines(file).Select((text, i) => ($"{Path.GetRelativePath(root, file)}:{i + 1}", text)));

    /// <summary>A path under the top-level docs folder, also written from a subfolder with "../"; not one of a "mydocs" or "a/docs" folder.</summary>
    [GeneratedRegex(@"(?<![\w\-]|[\w\-]/)docs/[\w\-./]*[\w\-]")]
    private static partial Regex DocsPath();
}
