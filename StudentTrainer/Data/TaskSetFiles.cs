namespace Distill.StudentTrainer.Data;

/// <summary>The files of a task-set folder (as <c>make-tasks</c> writes it), each <see cref="PromptResponseFile"/> JSON Lines.</summary>
public static class TaskSetFiles
{
    public const string Train = "train.jsonl";

    /// <summary>Held out for choices made during training, e.g. DistiLLM's adaptive threshold.</summary>
    public const string Validation = "validation.jsonl";

    public const string Test = "test.jsonl";

    /// <summary>The path of <paramref name="file"/> in <paramref name="folder"/>.</summary>
    /// <exception cref="FileNotFoundException">The folder holds no such file.</exception>
    public static string Require(string folder, string file)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        string path = Path.Combine(folder, file);
        if (!File.Exists(path)) throw new FileNotFoundException($"the task folder '{folder}' holds no {file} (make it with make-tasks)", path);
        return path;
    }
}
