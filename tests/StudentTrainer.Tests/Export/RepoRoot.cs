namespace Distill.StudentTrainer.Tests.Export;

/// <summary>The repository root (the folder holding Distill.sln), for tests that read committed files.</summary>
public static class RepoRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Distill.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"no Distill.sln above '{AppContext.BaseDirectory}'");
    }
}
