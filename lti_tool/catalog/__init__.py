"""The catalog: courses from the host LMS and items trainers add, a personal plan, enrolment."""
