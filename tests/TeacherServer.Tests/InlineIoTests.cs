using Distill.TeacherServer.Hosting;
using Microsoft.Extensions.Configuration;

namespace Distill.TeacherServer.Tests;

/// <summary>Inline socket scheduling is on unless --inline-io false turns it off.</summary>
public sealed class InlineIoTests
{
    [Theory]
    [InlineData(null, true)]
    [InlineData("true", true)]
    [InlineData("false", false)]
    [InlineData("False", false)]
    public void The_setting_is_read_from_the_command_line_switch(string? value, bool expected)
    {
        string[] args = value is null ? [] : ["--inline-io", value];
        var configuration = new ConfigurationBuilder().AddCommandLine(args, CommandLineSwitches.Map).Build();

        Assert.Equal(expected, InlineIo.IsEnabled(configuration));
    }
}
