namespace Distill.TeacherServer.Hosting;

/// <summary>Short command-line switches for the common settings (the long form --TeacherServer:Name=value works too).</summary>
public static class CommandLineSwitches
{
    public const string DefaultUrls = "http://127.0.0.1:5080";

    public static readonly Dictionary<string, string> Map = new()
    {
        ["--models"] = $"{TeacherServerOptions.Section}:{nameof(TeacherServerOptions.ModelsPath)}",
        ["--provider"] = $"{TeacherServerOptions.Section}:{nameof(TeacherServerOptions.ExecutionProvider)}",
        ["--topk-placement"] = $"{TeacherServerOptions.Section}:{nameof(TeacherServerOptions.TopKPlacement)}",
        ["--threads"] = $"{TeacherServerOptions.Section}:{nameof(TeacherServerOptions.IntraOpThreads)}",
        ["--max-k"] = $"{TeacherServerOptions.Section}:{nameof(TeacherServerOptions.MaxK)}",
        ["--max-batch-tokens"] = $"{TeacherServerOptions.Section}:{nameof(TeacherServerOptions.MaxBatchTokens)}",
        ["--max-queue"] = $"{TeacherServerOptions.Section}:{nameof(TeacherServerOptions.MaxQueue)}",
        ["--max-request-bytes"] = $"{TeacherServerOptions.Section}:{nameof(TeacherServerOptions.MaxRequestBytes)}",
        ["--work-budget-bytes"] = $"{TeacherServerOptions.Section}:{nameof(TeacherServerOptions.WorkBudgetBytes)}",
        ["--body-budget-bytes"] = $"{TeacherServerOptions.Section}:{nameof(TeacherServerOptions.BodyBudgetBytes)}",
        ["--api-key"] = $"{TeacherServerOptions.Section}:{nameof(TeacherServerOptions.ApiKey)}",
        ["--batch-window-ms"] = $"{TeacherServerOptions.Section}:{nameof(TeacherServerOptions.BatchWindowMilliseconds)}",
        ["--prefix-cache-bytes"] = $"{TeacherServerOptions.Section}:{nameof(TeacherServerOptions.PrefixCacheBytes)}",
        ["--split-past"] = $"{TeacherServerOptions.Section}:{nameof(TeacherServerOptions.SplitPastAttention)}",
        ["--inline-io"] = $"{TeacherServerOptions.Section}:{nameof(TeacherServerOptions.InlineIo)}",
        ["--parent-pid"] = $"{TeacherServerOptions.Section}:{nameof(TeacherServerOptions.ParentProcessId)}",
    };
}
