namespace Distill.StudentTrainer.Tests.Repository;

/// <summary>The project's own source and documentation files under a root, leaving out build output and run folders.</summary>
internal static class RepositoryTextFiles
{
    private static readonly HashSet<string> Extensions = [".cs", ".md", ".csproj", ".props", ".targets", ".py", ".sh", ".proto"];

    private static readonly HashSet<string> SkippedFolders = ["bin", "obj", "runs", ".git", "node_modules"];

    /// <returns>Full paths, in ordinal order.</returns>
    public static IReadOnlyList<string> Under(string root, params string[] extensions)
    {
        HashSet<string> wanted = extensions.Length == 0 ? Extensions : [.. extensions];
        var files = new List<string>();
        Collect(new DirectoryInfo(root), wanted, files);
        files.Sort(StringComparer.Ordinal);
        return files;
    }

    private static void Collect(DirectoryInfo folder, HashSet<string> extensions, List<string> files)
    {
        files.AddRange(folder.EnumerateFiles().Where(f => extensions.Contains(f.Extension)).Select(f => f.FullName));
        foreach (DirectoryInfo child in folder.EnumerateDirectories().Where(d => !SkippedFolders.Contains(d.Name)))
            Collect(child, extensions, files);
    }
}
